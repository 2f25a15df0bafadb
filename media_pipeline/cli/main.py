"""`media-pipeline`: register libraries, run the pipeline through Dagster, query the catalog.

The command-line contract lives in shared/DESIGN.md; keep it stable.
"""

from __future__ import annotations

import importlib
from typing import ClassVar

import click

from media_pipeline.cli.browse import albums, duplicates_command, info, memories_command
from media_pipeline.cli.library import library
from media_pipeline.cli.maintenance import backup, purge_missing_command, restore
from media_pipeline.cli.operator import cancel, check, concurrency, pause, resume
from media_pipeline.cli.people import people
from media_pipeline.cli.search import search, similar
from media_pipeline.cli.settings import settings_command
from media_pipeline.cli.status import errors, status
from media_pipeline.runtime.heap import pause_collector


class LazyGroup(click.Group):
    """Commands whose modules import Dagster are loaded when they run, so the read-only ones
    (info, albums, people, errors, library list, duplicates) start without it."""

    lazy: ClassVar[dict[str, str]] = {
        "run": "media_pipeline.cli.run:run",
        "worker": "media_pipeline.distributed.worker:worker",
        "import": "media_pipeline.cli.imports:import_group",  # the mover: not for the others
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, attribute = self.lazy[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Background processing for a self-hosted photo and video library, on Dagster."""


for command in (
    library,
    status,
    errors,
    info,
    albums,
    memories_command,
    search,
    similar,
    duplicates_command,
    people,
    settings_command,
    pause,
    resume,
    cancel,
    concurrency,
    check,
    purge_missing_command,
    backup,
    restore,
):
    cli.add_command(command)


def main() -> None:
    # Commands that load Dagster turn it back on once loaded (runtime/heap.py); the others
    # end before the collector would matter.
    pause_collector()
    cli(prog_name="media-pipeline")
