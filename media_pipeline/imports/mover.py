"""Moving an import folder's files into their target library by its template, keeping a
journal so that nothing is lost: a move is recorded (claiming its target name) before any
file is touched, the copy is verified before the source goes, and a move a crash interrupted
is finished by the next run. No Dagster here: the asset and the CLI call these.

A file whose size or modification time differ from what the scan recorded is still being
written (two looks that disagree): it waits for the next run. Files the user put into the
target library themselves have no journal entry, so a template change never touches them.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from media_pipeline.catalog import imports as journal
from media_pipeline.catalog.failures import FileFailure, resolve_errors
from media_pipeline.catalog.imports import ImportFolder, Move
from media_pipeline.catalog.schema import import_moves
from media_pipeline.catalog.store import Catalog, Library
from media_pipeline.imports import files
from media_pipeline.imports.template import FileFacts, is_rendering_of, render, with_suffix

STAGE = "import"


@dataclass(frozen=True)
class Planned:
    kind: str  # "import" or "migrate"
    row: Any  # the catalog row (present_rows) of the file
    target: str  # relative to the target library's root, collision suffix included


@dataclass
class Report:
    moved: int = 0
    migrated: int = 0
    waiting: int = 0
    failed: int = 0
    recovered: int = 0
    plan: list[Planned] = field(default_factory=list)


def _free_name(root: str, rendered: str, taken: set[str]) -> str:
    candidate, number = rendered, 0
    while candidate in taken or os.path.lexists(os.path.join(root, candidate)):
        number += 1
        candidate = with_suffix(rendered, number)
    return candidate


def _facts(row: Any, original_name: str) -> FileFacts:
    return FileFacts(original_name, row.taken_at, row.make, row.model, row.city, row.album)


def _held_back(store: Catalog, library: Library) -> set[tuple[int, str]]:
    """Files an undo put back here: they stay until the user moves them."""
    undone = journal.moves(
        store,
        import_moves.c.kind == "undo",
        import_moves.c.state == "done",
        import_moves.c.to_library_id == library.id,
    )
    return {(move.file_id, move.to_path) for move in undone}


def _stable(library: Library, row: Any) -> bool:
    try:
        stat = os.stat(library.absolute(row.rel_path))
    except FileNotFoundError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (row.size, row.mtime_ns)


def plan(store: Catalog, folder: ImportFolder, report: Report | None = None) -> list[Planned]:
    """What a run would move: new arrivals, and imported files the template now puts
    elsewhere (by the name they arrived with)."""
    report = report if report is not None else Report()
    taken: set[str] = set()
    planned = []
    held = _held_back(store, folder.library)
    for row in journal.present_rows(store, folder.library.id):
        if (row.id, row.rel_path) in held:
            continue
        if not _stable(folder.library, row):
            report.waiting += 1
            continue
        name = posixpath.basename(row.rel_path)
        rendered = render(folder.template, _facts(row, name))
        target = _free_name(folder.target.root, rendered, taken)
        taken.add(target)
        planned.append(Planned("import", row, target))
    imported = journal.moves(
        store,
        import_moves.c.kind.in_(("import", "migrate")),
        import_moves.c.state == "done",
        import_moves.c.undone_at.is_(None),
    )
    arrived: dict[int, str] = {}  # file id -> the name it arrived with
    latest: dict[int, Move] = {}
    for move in imported:
        if move.kind == "import" and move.from_library_id == folder.library.id:
            arrived[move.file_id] = posixpath.basename(move.from_path)
        latest[move.file_id] = move
    rows = journal.present_rows(store, folder.target.id, sorted(arrived))
    for row in rows:
        move = latest[row.id]
        if (move.to_library_id, move.to_path) != (row.library_id, row.rel_path):
            continue  # moved by the user since: theirs now
        rendered = render(folder.template, _facts(row, arrived[row.id]))
        if is_rendering_of(row.rel_path, rendered):
            continue
        target = _free_name(folder.target.root, rendered, taken)
        taken.add(target)
        planned.append(Planned("migrate", row, target))
    report.plan = planned
    return planned


def execute(store: Catalog, move: Move) -> None:
    """Carry out (or finish) one journalled move: verified copy, source removed, row moved.
    Raises files.MoveError or OSError, leaving the source in place."""
    source_root = journal.library_by_id(store, move.from_library_id)
    target_root = journal.library_by_id(store, move.to_library_id)
    source = Path(source_root.absolute(move.from_path))
    target = Path(target_root.absolute(move.to_path))
    if not files.holds(target, move.content_hash):
        if not source.exists():
            raise files.MoveError(f"{source} vanished before it was copied")
        while True:
            try:
                files.copy_verified(source, target, move.content_hash, move.id)
                break
            except FileExistsError:  # the name was taken meanwhile: never overwrite
                rendered = move.to_path
                move = journal.rename_target(
                    store, move, _free_name(target_root.root, rendered, {rendered})
                )
                target = Path(target_root.absolute(move.to_path))
    files.remove_source(source)
    stat = os.stat(target)
    journal.finish_move(store, move, stat.st_size, stat.st_mtime_ns)


def _attempt(store: Catalog, move: Move, report: Report) -> bool:
    try:
        execute(store, move)
    except (files.MoveError, OSError) as exc:
        report.failed += 1
        failure = FileFailure(move.from_path, STAGE, str(exc))
        journal.fail_move(store, move, failure)
        return False
    with store.transaction() as writer:  # an earlier failure of this file is over
        resolve_errors(writer, move.from_library_id, STAGE, [move.from_path])
    return True


def run_imports(store: Catalog, folder: ImportFolder, run_id: str) -> Report:
    """Finish interrupted moves, then move what the plan says; each file on its own."""
    report = Report()
    for move in journal.unfinished_moves(store, {folder.library.id, folder.target.id}):
        if _attempt(store, move, report):
            report.recovered += 1
    for planned in plan(store, folder, report):
        move = journal.add_move(
            store, run_id, planned.kind, planned.row, folder.target, planned.target
        )
        if _attempt(store, move, report):
            if planned.kind == "import":
                report.moved += 1
            else:
                report.migrated += 1
    return report


def undo_run(store: Catalog, run_id: str) -> list[dict[str, str]]:
    """Move the files a run imported or migrated back where they were (newest first), the
    same safe way; returns what moved."""
    done = journal.moves(
        store,
        import_moves.c.run_id == run_id,
        import_moves.c.state == "done",
        import_moves.c.undone_at.is_(None),
        import_moves.c.kind.in_(("import", "migrate")),
    )
    if not done and not journal.moves(store, import_moves.c.run_id == run_id):
        raise ValueError(f"run {run_id} moved no files")
    undone = []
    for move in reversed(done):
        back_to = journal.library_by_id(store, move.from_library_id)
        rows = journal.present_rows(store, move.to_library_id, [move.file_id])
        if not rows or rows[0].rel_path != move.to_path:
            journal.mark_undone(store, move)  # moved or gone since: nothing to put back
            continue
        back = _free_name(back_to.root, move.from_path, set())
        reverse = journal.add_move(store, f"undo:{run_id}", "undo", rows[0], back_to, back)
        execute(store, reverse)
        journal.mark_undone(store, move)
        undone.append(
            {
                "from": journal.library_by_id(store, move.to_library_id).absolute(move.to_path),
                "to": back_to.absolute(back),
            }
        )
    return undone
