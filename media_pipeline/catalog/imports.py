"""Catalog side of import folders: which library imports into which by what template, the
journal of moves, and the catalog following a moved file (its row keeps its id, so its
derivatives, faces and albums stay with it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from media_pipeline.catalog.failures import FileFailure, record_errors
from media_pipeline.catalog.schema import (
    album_files,
    albums,
    import_moves,
    libraries,
    media_files,
)
from media_pipeline.catalog.store import Catalog, Library, utcnow


@dataclass(frozen=True)
class ImportFolder:
    library: Library
    target: Library
    template: str


@dataclass(frozen=True)
class Move:
    id: int
    run_id: str
    kind: str
    file_id: int
    content_hash: str
    from_library_id: int
    from_path: str
    to_library_id: int
    to_path: str
    state: str
    moved_at: datetime | None
    undone_at: datetime | None


_MOVE_COLUMNS = [getattr(import_moves.c, name) for name in Move.__dataclass_fields__]


def set_import_folder(catalog: Catalog, library: Library, target: Library, template: str) -> None:
    with catalog.transaction() as writer:
        writer.conn.execute(
            update(libraries)
            .where(libraries.c.id == library.id)
            .values(import_into=target.id, import_template=template)
        )


def import_folder(catalog: Catalog, library: Library) -> ImportFolder | None:
    """The library's import settings, or None for an ordinary library."""
    with catalog.engine.connect() as conn:
        row = conn.execute(
            select(libraries.c.import_into, libraries.c.import_template).where(
                libraries.c.id == library.id
            )
        ).first()
    if row is None or row.import_into is None:
        return None
    target = next((lib for lib in catalog.libraries() if lib.id == row.import_into), None)
    if target is None:
        return None
    return ImportFolder(library, target, row.import_template)


def library_by_id(catalog: Catalog, library_id: int) -> Library:
    return next(lib for lib in catalog.libraries() if lib.id == library_id)


def _album_title() -> Any:
    return (
        select(albums.c.title)
        .join(album_files, album_files.c.album_id == albums.c.id)
        .where(album_files.c.file_id == media_files.c.id)
        .limit(1)
        .scalar_subquery()
    )


def present_rows(catalog: Catalog, library_id: int, file_ids: list[int] | None = None) -> list:
    """Present files of a library (or these files) with what a template reads."""
    query = select(
        media_files.c.id,
        media_files.c.library_id,
        media_files.c.rel_path,
        media_files.c.size,
        media_files.c.mtime_ns,
        media_files.c.content_hash,
        media_files.c.taken_at,
        media_files.c.make,
        media_files.c.model,
        media_files.c.city,
        _album_title().label("album"),
    ).where(media_files.c.status == "present", media_files.c.library_id == library_id)
    if file_ids is not None:
        query = query.where(media_files.c.id.in_(file_ids))
    with catalog.engine.connect() as conn:
        return conn.execute(query.order_by(media_files.c.rel_path)).all()


def moves(catalog: Catalog, *conditions: Any) -> list[Move]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(*_MOVE_COLUMNS).where(*conditions).order_by(import_moves.c.id))
        return [Move(*row) for row in rows]


def unfinished_moves(catalog: Catalog, library_ids: set[int]) -> list[Move]:
    """Moves a crash interrupted, touching these libraries (the journal says where)."""
    return moves(
        catalog,
        import_moves.c.state == "claimed",
        import_moves.c.from_library_id.in_(library_ids)
        | import_moves.c.to_library_id.in_(library_ids),
    )


def add_move(catalog: Catalog, run_id: str, kind: str, row: Any, to: Library, to_path: str) -> Move:
    """Journal a move before touching any file: its target name is claimed from now on."""
    values = {
        "run_id": run_id,
        "kind": kind,
        "file_id": row.id,
        "content_hash": row.content_hash,
        "from_library_id": row.library_id,
        "from_path": row.rel_path,
        "to_library_id": to.id,
        "to_path": to_path,
        "state": "claimed",
        "created_at": utcnow(),
    }
    with catalog.transaction() as writer:
        move_id = writer.conn.execute(import_moves.insert().values(**values)).inserted_primary_key
    del values["created_at"]
    return Move(id=move_id[0], moved_at=None, undone_at=None, **values)


def rename_target(catalog: Catalog, move: Move, to_path: str) -> Move:
    with catalog.transaction() as writer:
        writer.conn.execute(
            update(import_moves).where(import_moves.c.id == move.id).values(to_path=to_path)
        )
    return Move(**{**move.__dict__, "to_path": to_path})


def finish_move(catalog: Catalog, move: Move, size: int, mtime_ns: int) -> None:
    """The file is at its target and the source gone: the row follows, in one transaction
    with the journal. A row a scan made of the copy meanwhile (after a crash) gives way."""
    with catalog.transaction() as writer:
        writer.conn.execute(
            delete(media_files).where(
                media_files.c.library_id == move.to_library_id,
                media_files.c.rel_path == move.to_path,
                media_files.c.id != move.file_id,
            )
        )
        writer.conn.execute(
            update(media_files)
            .where(media_files.c.id == move.file_id)
            .values(
                library_id=move.to_library_id,
                rel_path=move.to_path,
                dir=os.path.dirname(move.to_path),
                size=size,
                mtime_ns=mtime_ns,
                status="present",
                missing_since=None,
                updated_at=utcnow(),
            )
        )
        writer.conn.execute(
            update(import_moves)
            .where(import_moves.c.id == move.id)
            .values(state="done", moved_at=utcnow())
        )


def fail_move(catalog: Catalog, move: Move, failure: FileFailure | None) -> None:
    """Give up a move (its source stays where it is), with a row in the errors ledger."""
    with catalog.transaction() as writer:
        writer.conn.execute(
            update(import_moves).where(import_moves.c.id == move.id).values(state="failed")
        )
        if failure is not None:
            record_errors(writer, move.from_library_id, [failure])


def mark_undone(catalog: Catalog, move: Move) -> None:
    with catalog.transaction() as writer:
        writer.conn.execute(
            update(import_moves).where(import_moves.c.id == move.id).values(undone_at=utcnow())
        )


def move_log(catalog: Catalog, run_id: str | None = None) -> list[dict[str, Any]]:
    """Every recorded move: from, to (absolute paths), hash, when, kind, state, run."""
    roots = {lib.id: lib for lib in catalog.libraries()}
    found = moves(catalog, *([import_moves.c.run_id == run_id] if run_id else []))

    def where(library_id: int, rel_path: str) -> str:
        library = roots.get(library_id)
        return library.absolute(rel_path) if library else rel_path

    def stamp(value: datetime | None) -> str | None:
        return f"{value.isoformat()}Z" if value else None

    return [
        {
            "run_id": move.run_id,
            "kind": move.kind,
            "from": where(move.from_library_id, move.from_path),
            "to": where(move.to_library_id, move.to_path),
            "content_hash": move.content_hash,
            "state": move.state,
            "moved_at": stamp(move.moved_at),
            "undone_at": stamp(move.undone_at),
        }
        for move in found
    ]
