"""`media-pipeline`: register libraries, run the pipeline through Dagster, query the catalog.

The command-line contract lives in shared/DESIGN.md; keep it stable.
"""

from __future__ import annotations

import os
from typing import Any

import click

from media_pipeline import settings
from media_pipeline.catalog.info import file_info, local_time
from media_pipeline.catalog.store import Catalog, open_catalog
from media_pipeline.cli.output import console, print_json, print_table
from media_pipeline.cli.people import people
from media_pipeline.cli.run import execute_job, run
from media_pipeline.distributed.worker import worker


def catalog() -> Catalog:
    return open_catalog(settings.database_url())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Background processing for a self-hosted photo and video library, on Dagster."""


@cli.group()
def library() -> None:
    """Register and list library folders."""


@library.command("add")
@click.argument("name")
@click.argument("path", type=click.Path(file_okay=False, dir_okay=True, exists=True))
def library_add(name: str, path: str) -> None:
    """Register the folder PATH as library NAME (a Dagster partition)."""
    from media_pipeline.jobs.instance import get_instance
    from media_pipeline.jobs.partitions import sync_library_partitions

    store = catalog()
    try:
        added = store.add_library(name, os.path.realpath(path))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sync_library_partitions(get_instance(), [lib.name for lib in store.libraries()])
    console.print(f"library [bold]{added.name}[/bold] → {added.root}")


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
    """Runs from Dagster's run storage: running (with progress), queued, failed, recent; and
    the files whose failures are not cleared yet."""
    from media_pipeline.jobs.instance import get_instance
    from media_pipeline.jobs.runs import run_summary

    summary: dict[str, Any] = run_summary(get_instance(), recent=recent)
    file_errors = catalog().count_errors()
    if as_json:
        print_json({**summary, "file_errors": file_errors})
        return
    for section, runs in summary.items():
        if not runs:
            console.print(f"[bold]{section}[/bold]: none")
            continue
        rows = []
        for run_info in runs:
            progress = run_info.get("progress")
            detail = run_info.get("error") or ""
            if progress:
                detail = (
                    f"{progress['processed']}/{progress['total']} files, "
                    f"{progress['rate']:.1f}/s, ETA {progress['eta_seconds'] or '?'} s"
                )
            rows.append(
                [
                    run_info["run_id"][:8],
                    run_info["job"],
                    run_info["library"],
                    run_info["trigger"],
                    run_info["status"],
                    run_info["started_at"] or run_info["created_at"],
                    detail[:100],
                ]
            )
        print_table(
            f"{section} ({len(runs)})",
            ["run", "job", "library", "trigger", "status", "started", "detail"],
            rows,
        )
    failures = ", ".join(f"{n} in {stage}" for stage, n in sorted(file_errors.items()))
    console.print(f"[bold]file errors[/bold]: {failures or 'none'} (see `errors`)")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved failures.")
@click.option("--clear", is_flag=True, help="Mark every failure resolved.")
@click.option("--retry", is_flag=True, help="Process the failed files again, now.")
@click.pass_context
def errors(
    ctx: click.Context, as_json: bool, include_resolved: bool, clear: bool, retry: bool
) -> None:
    """Per-file failures: path, stage, error, attempts."""
    if clear:
        console.print(f"cleared {catalog().clear_errors()} failures")
        return
    if retry:
        for name in catalog().retry_errors():
            ctx.invoke(run, library_name=name, select=None)
        console.print(f"{len(catalog().errors())} failures remain")
        return
    rows = [_error_row(row) for row in catalog().errors(include_resolved=include_resolved)]
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


@cli.command("purge-missing")
@click.option("--grace-days", default=30, show_default=True, help="Missing for at least this.")
@click.option("--dry-run", is_flag=True, help="Only list what would be purged.")
def purge_missing_command(grace_days: int, dry_run: bool) -> None:
    """Delete Missing Photos: purge rows and derivatives of long-missing files (a Dagster run)."""
    from media_pipeline.definitions import defs
    from media_pipeline.jobs.instance import get_instance

    config = {
        "ops": {"purge_missing_files": {"config": {"grace_days": grace_days, "dry_run": dry_run}}}
    }
    result = execute_job(
        get_instance(), defs.resolve_job_def("delete_missing_photos"), run_config=config
    )
    if result is None or not result.success:
        raise click.ClickException("purge failed; see `status`")
    console.print(_op_metadata(result, "purge_missing_files"))


@cli.command()
def backup() -> None:
    """Back the catalog up now into MEDIA_PIPELINE_HOME/backups (a Dagster run)."""
    from media_pipeline.definitions import defs
    from media_pipeline.jobs.instance import get_instance

    result = execute_job(get_instance(), defs.resolve_job_def("backup_catalog_job"))
    if result is None or not result.success:
        raise click.ClickException("backup failed; see `status`")
    console.print(_op_metadata(result, "backup_catalog_op"))


@cli.command()
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(backup_file: str, yes: bool) -> None:
    """Replace the catalog with a backup (stop the daemon and running scans first)."""
    from pathlib import Path

    from media_pipeline.maintenance.backup import restore_catalog

    store = catalog()
    if not yes:
        click.confirm(f"Replace the catalog at {store.url} with {backup_file}?", abort=True)
    try:
        restore_catalog(store, Path(backup_file))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"restored {backup_file} into {store.url}")


def _op_metadata(result: Any, op_name: str) -> dict[str, Any]:
    """The metadata an op attached to its output, as plain values."""
    for event in result.events_for_node(op_name):
        if event.is_successful_output:
            return {k: v.value for k, v in event.step_output_data.metadata.items() if k != "paths"}
    return {}


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
    print_table(title, ["score", "path"], [[row["score"], row["path"]] for row in rows])


@cli.command()
@click.argument("text")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def search(text: str, limit: int, as_json: bool) -> None:
    """Semantic search (CLIP): files that look like TEXT, best first."""
    from media_pipeline.clip.model import load_clip
    from media_pipeline.models.ensure import ensure_model
    from media_pipeline.models.errors import ModelError
    from media_pipeline.models.specs import clip_spec

    index = _search_index()
    try:
        files = ensure_model(clip_spec(), settings.media_home() / "models", offline=True)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    model = load_clip(files.path)
    hits = index.search(model.embed_text([text])[0], limit * 2)
    _print_hits(f"Search: {text}", _ranked(hits, limit), as_json)


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
    from media_pipeline.catalog.embeddings import list_duplicates

    groups = list_duplicates(catalog())
    if as_json:
        print_json(groups)
        return
    for number, group in enumerate(groups, start=1):
        console.print(f"[bold]group {number}[/bold] ({group['kind']}, {group['similarity']})")
        for path in group["files"]:
            console.print(f"  {'keep ' if path == group['keeper'] else '     '}{path}")


cli.add_command(run)
cli.add_command(people)
cli.add_command(worker)


def main() -> None:
    cli(prog_name="media-pipeline")
