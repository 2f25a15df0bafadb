"""`media-pipeline library`: register library folders (and import folders) and list them."""

from __future__ import annotations

import os
from typing import Any

import click

from media_pipeline.catalog.store import Catalog
from media_pipeline.cli.catalog import catalog
from media_pipeline.cli.output import console, print_rows


@click.group()
def library() -> None:
    """Register and list library folders."""


@library.command("add")
@click.argument("name")
@click.argument("path", type=click.Path(file_okay=False, dir_okay=True, exists=True))
@click.option("--import-into", "target", help="Make PATH an import folder of library TARGET.")
@click.option(
    "--template",
    help="Where imported files go in TARGET (tokens: y yy MM MMM dd hh mm ss filename ext "
    "album make model city); default {{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}. Changing it "
    "moves already imported files to the new layout.",
)
def library_add(name: str, path: str, target: str | None, template: str | None) -> None:
    """Register the folder PATH as library NAME (a Dagster partition)."""
    from media_pipeline.runtime.instance import get_instance
    from media_pipeline.runtime.partitions import sync_library_partitions

    store = catalog()
    if template and not target:
        raise click.UsageError("--template needs --import-into")
    try:
        folder = _check_import(store, os.path.realpath(path), target, template)
        added = store.add_library(name, os.path.realpath(path))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if folder is not None:
        from media_pipeline.catalog.imports import set_import_folder

        set_import_folder(store, added, *folder)
    sync_library_partitions(get_instance(), [lib.name for lib in store.libraries()])
    into = f", imports into {target} by {folder[1]}" if folder else ""
    console.print(f"library [bold]{added.name}[/bold] → {added.root}{into}")


def _check_import(
    store: Catalog, root: str, target: str | None, template: str | None
) -> tuple[Any, str] | None:
    """(target library, template) of an import folder, checked; None for a plain library."""
    if target is None:
        return None
    from media_pipeline.imports.template import DEFAULT_TEMPLATE, validate

    into = store.library(target)
    if into is None:
        raise ValueError(f"no library named {target!r} to import into; add it first")
    inside = os.path.commonpath([root, into.root]) in (root, into.root)
    if inside:
        raise ValueError(f"an import folder and {target} ({into.root}) must not contain each other")
    return into, validate(template or DEFAULT_TEMPLATE)


@library.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def library_list(as_json: bool) -> None:
    """Registered libraries with their file counts."""
    store = catalog()
    counts = store.library_counts()
    rows = [
        {
            "name": lib.name,
            "path": lib.root,
            "files": counts.get(lib.id, {}).get("present", 0),
            "missing": counts.get(lib.id, {}).get("missing", 0),
            "errors": counts.get(lib.id, {}).get("errors", 0),
        }
        for lib in store.libraries()
    ]
    print_rows(
        rows,
        as_json,
        "Libraries",
        ["name", "path", "files", "missing", "errors"],
        lambda r: [*r.values()],
    )
