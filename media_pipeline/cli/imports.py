"""`media-pipeline import`: run an import folder now (or print its plan), list recorded
moves, undo a run's moves."""

from __future__ import annotations

import click

from media_pipeline.catalog.imports import import_folder, move_log
from media_pipeline.cli.catalog import catalog
from media_pipeline.cli.output import console, print_json, print_rows
from media_pipeline.imports.mover import plan, undo_run


@click.group("import")
def import_group() -> None:
    """Import folders (`library add NAME PATH --import-into OTHER --template T`)."""


@import_group.command("run")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Print the plan from the last scan; move nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def import_run(ctx: click.Context, name: str, dry_run: bool, as_json: bool) -> None:
    """Scan import folder NAME and move its files (a Dagster run), or show what would move."""
    store = catalog()
    library = store.library(name)
    folder = import_folder(store, library) if library else None
    if folder is None:
        raise click.ClickException(f"{name!r} is not an import folder; see `library list`")
    if not dry_run:
        from media_pipeline.cli.run import run

        ctx.invoke(run, library_name=name, select="media_catalog,imported_files")
        return
    rows = [
        {
            "kind": planned.kind,
            "from": store.library(name).absolute(planned.row.rel_path)
            if planned.kind == "import"
            else folder.target.absolute(planned.row.rel_path),
            "to": folder.target.absolute(planned.target),
        }
        for planned in plan(store, folder)
    ]
    print_rows(
        rows,
        as_json,
        f"Plan for {name} ({len(rows)})",
        ["kind", "from", "to"],
        lambda r: [*r.values()],
    )


@import_group.command("log")
@click.option("--run", "run_id", help="Only this run's moves.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def import_log(run_id: str | None, as_json: bool) -> None:
    """Recorded moves: from, to, hash, when, run."""
    rows = move_log(catalog(), run_id)
    print_rows(
        rows,
        as_json,
        f"Moves ({len(rows)})",
        ["run", "kind", "from", "to", "state", "moved", "undone"],
        lambda r: [
            r["run_id"][:8],
            r["kind"],
            r["from"],
            r["to"],
            r["state"],
            r["moved_at"],
            r["undone_at"],
        ],
    )


@import_group.command("undo")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def import_undo(run_id: str, as_json: bool) -> None:
    """Move the files run RUN_ID imported or migrated back (verified, like every move); they
    then stay in the import folder until you move them."""
    try:
        undone = undo_run(catalog(), run_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(undone)
        return
    for move in undone:
        console.print(f"{move['from']} → {move['to']}")
    console.print(f"{len(undone)} files moved back")
