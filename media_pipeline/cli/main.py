"""`media-pipeline`: register libraries, run the pipeline through Dagster, query the catalog.

The command-line contract lives in shared/DESIGN.md; keep it stable.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import asdict
from typing import Any, ClassVar

import click

from media_pipeline import settings
from media_pipeline.catalog.failures import clear_errors, list_errors, retry_errors
from media_pipeline.catalog.info import file_info, local_time
from media_pipeline.catalog.store import Catalog, open_catalog
from media_pipeline.cli.maintenance import backup, purge_missing_command, restore
from media_pipeline.cli.operator import cancel, check, concurrency, pause, resume
from media_pipeline.cli.output import chatter_to_stderr, console, print_json, print_table
from media_pipeline.cli.people import people
from media_pipeline.cli.settings import settings_command


def catalog() -> Catalog:
    return open_catalog(settings.database_url())


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


@cli.group()
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
    if as_json:
        print_json(rows)
        return
    print_table(
        "Libraries",
        ["name", "path", "files", "missing", "errors"],
        [list(row.values()) for row in rows],
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--recent", default=10, show_default=True, help="How many finished runs to show.")
def status(as_json: bool, recent: int) -> None:
    """Obscura's four figures — running (with progress), backlog (queued runs, files pending
    per stage), failures not cleared, recently finished — with what is paused and how the
    asset checks last ended; then the runs: running, queued, failed, recent."""
    from media_pipeline.operations.overview import overview
    from media_pipeline.runtime.instance import get_instance
    from media_pipeline.runtime.reaper import reap_dead_runs

    instance = get_instance()
    reap_dead_runs(instance)  # a dead run is never shown as running
    summary = overview(instance, catalog(), recent=recent)
    if as_json:
        print_json(summary)
        return
    figures = summary["figures"]
    console.print(
        f"[bold]running[/bold] {figures['running']}  "
        f"[bold]backlog[/bold] {figures['backlog']['queued_runs']} queued runs, "
        f"{figures['backlog']['pending_files']} files pending  "
        f"[bold]failures[/bold] {figures['failures']} not cleared  "
        f"[bold]recently finished[/bold] {figures['recently_finished']}"
    )
    for scope, since in summary["paused"].items():
        console.print(f"[bold yellow]{scope} paused since {since}[/bold yellow] (`resume {scope}`)")
    for library, stages in summary["pending"].items():
        waiting = ", ".join(f"{n} {stage}" for stage, n in stages.items() if n)
        if waiting:
            console.print(f"pending in {library}: {waiting}")
    for section in ("running", "queued", "failed", "recent"):
        _print_runs(section, summary[section])
    failures = ", ".join(f"{n} in {stage}" for stage, n in sorted(summary["file_errors"].items()))
    console.print(f"[bold]file errors[/bold]: {failures or 'none'} (see `errors`)")
    checks = summary["checks"]
    failed = [c for c in checks if c["status"] == "failed"]
    passed = sum(c["status"] == "passed" for c in checks)
    console.print(f"[bold]checks[/bold]: {passed} passed, {len(failed)} failed")
    for failure in failed:
        console.print(f"  {failure['asset']}/{failure['check']}: {failure['description']}")


def _print_runs(section: str, runs: list[dict[str, Any]]) -> None:
    if not runs:
        console.print(f"[bold]{section}[/bold]: none")
        return
    rows = []
    for run_info in runs:
        progress = run_info.get("progress")
        detail = run_info.get("error") or ""  # whole: the reason ends with its fix
        if progress:
            detail = (
                f"{progress['task']} {progress['processed']}/{progress['total']} files, "
                f"{progress['rate']:.1f}/s, ETA {progress['eta_seconds'] or '?'} s"
            )[:100]
        rows.append(
            [
                run_info["run_id"][:8],
                run_info["job"],
                run_info["library"],
                run_info["trigger"],
                run_info["status"],
                run_info["started_at"] or run_info["created_at"],
                detail,
            ]
        )
    print_table(
        f"{section} ({len(runs)})",
        ["run", "job", "library", "trigger", "status", "started", "detail"],
        rows,
    )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved failures.")
@click.option("--stage", help="Only this stage's failures (scan, thumbnails, clip, faces).")
@click.option("--clear", is_flag=True, help="Mark the failures resolved (a queue's clear).")
@click.option("--retry", is_flag=True, help="Process the failed files again, now.")
@click.pass_context
def errors(
    ctx: click.Context,
    as_json: bool,
    include_resolved: bool,
    stage: str | None,
    clear: bool,
    retry: bool,
) -> None:
    """Per-file failures: path, stage, error, attempts."""
    if clear:
        cleared = clear_errors(catalog(), stage)
        if as_json:
            print_json({"cleared": cleared, "stage": stage})
            return
        console.print(f"cleared {cleared} failures")
        return
    if retry:
        from media_pipeline.cli.run import run_pipeline

        names = retry_errors(catalog(), stage)
        with chatter_to_stderr(as_json):
            ok = run_pipeline(catalog(), names) if names else True
        remaining = len(list_errors(catalog(), stage=stage))
        if as_json:
            print_json({"retried_libraries": names, "stage": stage, "remaining": remaining})
        else:
            console.print(f"{remaining} failures remain")
        if not ok:
            ctx.exit(1)
        return
    rows = [
        _error_row(row)
        for row in list_errors(catalog(), include_resolved=include_resolved, stage=stage)
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Errors ({len(rows)})",
        ["path", "stage", "error", "attempts", "last seen"],
        [[r["path"], r["stage"], r["error"], r["attempts"], r["last_seen"]] for r in rows],
    )


def _error_row(row: dict[str, Any]) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return f"{value.isoformat()}Z" if value else None

    return {
        "path": os.path.join(row["root"], row["rel_path"]),
        "library": row["library"],
        "stage": row["stage"],
        "error": row["error"],
        "attempts": row["attempts"],
        "first_seen": stamp(row["first_seen"]),
        "last_seen": stamp(row["last_seen"]),
        "resolved_at": stamp(row["resolved_at"]),
    }


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def info(path: str, as_json: bool) -> None:
    """One file's catalog record."""
    record = file_info(catalog(), os.path.abspath(path))
    if record is None:
        raise click.ClickException(f"{path} is not in the catalog (is its library scanned?)")
    if as_json:
        print_json(record)
        return
    shown = dict(record)
    shown["faces"] = ", ".join(f"{_who(face)} (face {face['id']})" for face in record["faces"])
    print_table(record["path"], ["field", "value"], [[k, v] for k, v in shown.items()])


def _who(face: dict[str, Any]) -> str:
    if face["person"]:
        return face["person"]
    return f"person {face['person_id']}" if face["person_id"] is not None else "unknown"


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def albums(as_json: bool) -> None:
    """Auto-albums: id, title, start, end, place, count, cover, files."""
    from media_pipeline.catalog.albums import list_albums

    rows = [
        {**album, "start": local_time(album["start"]), "end": local_time(album["end"])}
        for album in list_albums(catalog())
    ]
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Albums ({len(rows)})",
        ["title", "start", "end", "count", "id"],
        [[r["title"], r["start"], r["end"], r["count"], r["id"]] for r in rows],
    )


@cli.command("memories")
@click.option("--date", "day", help="YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def memories_command(day: str | None, as_json: bool) -> None:
    """ "On this day" memories: id, title, date, files (best first), cover."""
    from datetime import date

    from media_pipeline.catalog.memories import describe, stored_memories
    from media_pipeline.memories.build import build_memories, today

    try:
        chosen = date.fromisoformat(day) if day else today()
    except ValueError:
        raise click.BadParameter(
            f"{day!r} is not a date (YYYY-MM-DD)", param_hint="--date"
        ) from None
    store = catalog()
    made = stored_memories(store, chosen)
    if made is None:  # the nightly asset made another day's: the same choice, made now
        made = build_memories(store, chosen, settings.media_home())
    rows = describe(store, made)
    if as_json:
        print_json(rows)
        return
    print_table(
        f"Memories of {chosen.isoformat()} ({len(rows)})",
        ["title", "date", "photos", "cover", "id"],
        [[r["title"], r["date"], len(r["files"]), r["cover"], r["id"]] for r in rows],
    )


def _ranked(hits: list[tuple[str, float]], limit: int) -> list[dict[str, Any]]:
    """Index hits (content hashes) as present files, best first: one row per path."""
    from media_pipeline.catalog.embeddings import paths_of

    located = paths_of(catalog(), [key for key, _ in hits])
    rows = [
        {"path": path, "score": round(float(score), 4)}
        for key, score in hits
        for path in located.get(key, [])
    ]
    return rows[:limit]


def _search_index() -> Any:
    from media_pipeline.clip.index import SearchIndex

    folder = settings.media_home() / "index" / "clip"
    if not folder.exists():
        raise click.ClickException("no search index yet: run `media-pipeline run` first")
    return SearchIndex.load(folder)


def _print_hits(title: str, rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    columns = ["score", "path"] + (["matched", "text"] if any("matched" in r for r in rows) else [])
    print_table(title, columns, [[row.get(name) for name in columns] for row in rows])


def _text_hits(text: str, limit: int) -> list[dict[str, Any]]:
    """Files whose recognised text holds the words of TEXT: exact matches, so first."""
    from media_pipeline.catalog.embeddings import paths_of
    from media_pipeline.catalog.text import find_text

    found = find_text(catalog(), text, limit)
    located = paths_of(catalog(), [key for key, _ in found])
    return [
        {"path": path, "score": 1.0, "matched": "text", "text": line}
        for key, line in found
        for path in located.get(key, [])
    ][:limit]


def _clip_hits(text: str, limit: int, required: bool) -> list[dict[str, Any]]:
    """CLIP's hits; without an index or model only an error when nothing else matched."""
    from media_pipeline.clip.model import load_clip
    from media_pipeline.models.ensure import ensure_model
    from media_pipeline.models.errors import ModelError
    from media_pipeline.models.specs import clip_spec

    try:
        index = _search_index()
        files = ensure_model(clip_spec(), settings.media_home() / "models", offline=True)
    except (click.ClickException, ModelError) as exc:
        if required:
            raise click.ClickException(str(exc)) from None
        return []
    model = load_clip(files.path)
    hits = index.search(model.embed_text([text])[0], limit * 2)
    return [{**row, "matched": "clip"} for row in _ranked(hits, limit)]


@cli.command()
@click.argument("text")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def search(text: str, limit: int, as_json: bool) -> None:
    """Files with TEXT written in them (OCR) or in their caption or keywords, then files that
    look like TEXT (CLIP); each hit says which matched."""
    from media_pipeline.catalog.captions import caption_matches

    rows = _text_hits(text, limit)
    seen = {row["path"] for row in rows}
    rows += [
        {"path": path, "score": 1.0, "matched": "caption"}
        for path in caption_matches(catalog(), text, limit)
        if path not in seen
    ]
    seen = {row["path"] for row in rows}
    rows += [row for row in _clip_hits(text, limit, not rows) if row["path"] not in seen]
    _print_hits(f"Search: {text}", rows[:limit], as_json)


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def similar(path: str, limit: int, as_json: bool) -> None:
    """Visually similar files (CLIP), the file itself first."""
    record = file_info(catalog(), os.path.abspath(path))
    if record is None:
        raise click.ClickException(f"{path} is not in the catalog (is its library scanned?)")
    index = _search_index()
    if record["content_hash"] not in index.rows:
        raise click.ClickException(f"{path} has no embedding yet: run `media-pipeline run`")
    hits = index.similar(record["content_hash"], limit * 2)
    _print_hits(f"Similar to {path}", _ranked(hits, limit), as_json)


@cli.command("duplicates")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def duplicates_command(as_json: bool) -> None:
    """Groups of duplicate files (exact and near), each with the suggested keeper."""
    from media_pipeline.catalog.duplicates import list_duplicates

    groups = list_duplicates(catalog())
    if as_json:
        print_json([asdict(group) for group in groups])
        return
    for number, group in enumerate(groups, start=1):
        console.print(f"[bold]group {number}[/bold] ({group.kind}, {group.similarity})")
        for path in group.files:
            console.print(f"  {'keep ' if path == group.keeper else '     '}{path}")


cli.add_command(people)
cli.add_command(settings_command)
for command in (pause, resume, cancel, concurrency, check, purge_missing_command, backup, restore):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="media-pipeline")
