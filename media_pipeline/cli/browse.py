"""Read-only views of the catalog: `info` of one file, `albums`, `memories`, `duplicates`."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

import click

from media_pipeline import settings
from media_pipeline.catalog.info import file_info, local_time
from media_pipeline.cli.catalog import catalog
from media_pipeline.cli.output import console, print_json, print_rows, print_table


@click.command()
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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def albums(as_json: bool) -> None:
    """Auto-albums: id, title, start, end, place, count, cover, files."""
    from media_pipeline.catalog.albums import list_albums

    rows = [
        {**album, "start": local_time(album["start"]), "end": local_time(album["end"])}
        for album in list_albums(catalog())
    ]
    print_rows(
        rows,
        as_json,
        f"Albums ({len(rows)})",
        ["title", "start", "end", "count", "id"],
        lambda r: [r["title"], r["start"], r["end"], r["count"], r["id"]],
    )


@click.command("memories")
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
    print_rows(
        rows,
        as_json,
        f"Memories of {chosen.isoformat()} ({len(rows)})",
        ["title", "date", "photos", "cover", "id"],
        lambda r: [r["title"], r["date"], len(r["files"]), r["cover"], r["id"]],
    )


@click.command("duplicates")
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
