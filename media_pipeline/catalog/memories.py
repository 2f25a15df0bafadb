"""Catalog queries of memories: the photos taken around a day in earlier years (with what
ranks them), and the memories made."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, extract, func, select

from media_pipeline.catalog.schema import (
    duplicate_files,
    faces,
    libraries,
    media_files,
    memories,
    memory_files,
    persons,
    thumbnails,
)
from media_pipeline.catalog.store import Catalog, file_path, utcnow
from media_pipeline.memory import Candidate, Memory, anniversary, near_day

# Dates a scan only guessed from the file's modification time say when it was copied, not
# when it was taken: a memory of them would be wrong.
_GUESSED = "file:mtime"


def _screenshot(rel_path: str, mime: str | None, make: str | None) -> bool:
    name = rel_path.rsplit("/", 1)[-1].casefold()
    return "screenshot" in name or (mime == "image/png" and not make)


def candidate_rows(catalog: Catalog, today: date, days: int) -> list[Any]:
    """The catalog's side of ``candidates``: rows of present images of the months around
    today's month and day (what a memory is made from, the sharpness of previews aside)."""
    months = {(today + timedelta(days=d)).month for d in range(-days - 1, days + 2)}
    named = func.count(persons.c.name)
    face_totals = (
        select(faces.c.content_hash, func.count().label("faces"), named.label("named"))
        .outerjoin(persons, and_(persons.c.id == faces.c.person_id, persons.c.name.is_not(None)))
        .group_by(faces.c.content_hash)
        .subquery()
    )
    query = (
        select(
            media_files.c.id,
            media_files.c.taken_at,
            media_files.c.rel_path,
            media_files.c.mime,
            media_files.c.make,
            func.coalesce(face_totals.c.faces, 0),
            func.coalesce(face_totals.c.named, 0),
            duplicate_files.c.keeper,
            thumbnails.c.thumbnail_path,
        )
        .outerjoin(face_totals, face_totals.c.content_hash == media_files.c.content_hash)
        .outerjoin(duplicate_files, duplicate_files.c.file_id == media_files.c.id)
        .outerjoin(thumbnails, thumbnails.c.content_hash == media_files.c.content_hash)
        .where(
            media_files.c.status == "present",
            media_files.c.kind == "image",
            media_files.c.taken_at.is_not(None),
            media_files.c.taken_at_source != _GUESSED,
            extract("month", media_files.c.taken_at).in_(sorted(months)),
        )
    )
    with catalog.engine.connect() as conn:
        return conn.execute(query).all()


def candidates(
    catalog: Catalog,
    today: date,
    days: int,
    blurred: Callable[[Path], bool],
    home: Path,
    rows: list[Any] | None = None,
) -> list[Candidate]:
    """Present images taken within ``days`` of today's month and day in any year (from
    ``rows`` of ``candidate_rows`` when the caller has them)."""
    found = []
    if rows is None:
        rows = candidate_rows(catalog, today, days)
    for file_id, taken_at, rel_path, mime, make, n_faces, n_named, keeper, thumb in rows:
        if not near_day(taken_at.date(), today, days + 1):
            continue
        found.append(
            Candidate(
                file_id,
                taken_at,
                named_faces=int(n_named),
                faces=int(n_faces),
                blurred=bool(thumb) and blurred(home / thumb),
                duplicate=keeper is False,
                screenshot=_screenshot(rel_path, mime, make),
            )
        )
    return found


def replace_memories(catalog: Catalog, today: date, made: Sequence[Memory]) -> None:
    """The memories table holds exactly the memories of ``today``."""
    now = utcnow()
    with catalog.transaction() as writer:
        writer.conn.execute(delete(memory_files))
        writer.conn.execute(delete(memories))
        for memory in made:
            writer.conn.execute(
                memories.insert().values(
                    id=memory.id,
                    for_date=today,
                    kind=memory.kind,
                    year=memory.year,
                    title=memory.title,
                    cover_file_id=memory.cover,
                    created_at=now,
                )
            )
            writer.conn.execute(
                memory_files.insert(),
                [
                    {"memory_id": memory.id, "file_id": file_id, "position": position}
                    for position, file_id in enumerate(memory.file_ids)
                ],
            )


def stored_memories(catalog: Catalog, today: date) -> list[Memory] | None:
    """The memories made for ``today``, or None when the asset has not made them."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(memories).where(memories.c.for_date == today).order_by(memories.c.year.desc())
        ).all()
        if not rows:
            return None
        members: dict[str, list[int]] = {}
        for memory_id, file_id in conn.execute(
            select(memory_files.c.memory_id, memory_files.c.file_id).order_by(
                memory_files.c.memory_id, memory_files.c.position
            )
        ):
            members.setdefault(memory_id, []).append(file_id)
    return [
        Memory(
            row.id,
            row.kind,
            row.year,
            anniversary(today, row.year),
            row.title,
            members.get(row.id, []),
        )
        for row in rows
    ]


def describe(catalog: Catalog, made: Sequence[Memory]) -> list[dict[str, Any]]:
    """Memories in the CLI's shape: id, title, date, files (paths, best first), cover."""
    ids = [file_id for memory in made for file_id in memory.file_ids]
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(media_files.c.id, libraries.c.root, media_files.c.rel_path)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .where(media_files.c.id.in_(ids))
        ).all()
    paths = {file_id: file_path(root, rel_path) for file_id, root, rel_path in rows}
    return [
        {
            "id": memory.id,
            "title": memory.title,
            "date": memory.date.isoformat(),
            "kind": memory.kind,
            "files": [paths[file_id] for file_id in memory.file_ids if file_id in paths],
            "cover": paths.get(memory.cover),
        }
        for memory in made
    ]


def thumbnails_of(catalog: Catalog, file_ids: Sequence[int]) -> dict[int, str]:
    """file id -> thumbnail path (relative to MEDIA_PIPELINE_HOME), for contact sheets."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(media_files.c.id, thumbnails.c.thumbnail_path)
            .join(thumbnails, thumbnails.c.content_hash == media_files.c.content_hash)
            .where(media_files.c.id.in_(list(file_ids)))
        )
        return {file_id: path for file_id, path in rows}
