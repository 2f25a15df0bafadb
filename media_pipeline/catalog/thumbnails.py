"""Catalog queries of the thumbnails stage: what still needs rendering, and what was made."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.sql import Select

from media_pipeline.catalog.schema import media_files, processing_errors, thumbnails
from media_pipeline.catalog.store import Catalog, Library, utcnow

STAGE = "thumbnails"


@dataclass(frozen=True)
class PendingRender:
    """One content to render, through one of the (possibly several) paths that hold it."""

    content_hash: str
    rel_path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Derivatives:
    content_hash: str
    preview_path: str
    preview_size: tuple[int, int]
    preview_bytes: int
    thumbnail_path: str
    thumbnail_size: tuple[int, int]
    thumbnail_bytes: int


def _pending_query(library: Library, settings: str) -> Select:
    current = and_(
        thumbnails.c.content_hash == media_files.c.content_hash,
        thumbnails.c.settings == settings,
    )
    failed_unchanged = exists().where(
        processing_errors.c.library_id == media_files.c.library_id,
        processing_errors.c.rel_path == media_files.c.rel_path,
        processing_errors.c.stage == STAGE,
        processing_errors.c.resolved_at.is_(None),
        processing_errors.c.size == media_files.c.size,
        processing_errors.c.mtime_ns == media_files.c.mtime_ns,
    )
    return (
        select(
            media_files.c.content_hash,
            func.min(media_files.c.rel_path).label("rel_path"),
        )
        .where(
            media_files.c.library_id == library.id,
            media_files.c.status == "present",
            ~exists().where(current),
            ~failed_unchanged,
        )
        .group_by(media_files.c.content_hash)
    )


def count_pending(catalog: Catalog, library: Library, settings: str) -> int:
    query = select(func.count()).select_from(_pending_query(library, settings).subquery())
    with catalog.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def iter_pending(
    catalog: Catalog, library: Library, settings: str, page: int = 500
) -> Iterator[PendingRender]:
    """Contents without current derivatives, in hash order, one short query per page: no
    transaction stays open while rendering, and memory stays flat."""
    after = ""
    while True:
        query = (
            _pending_query(library, settings)
            .where(media_files.c.content_hash > after)
            .order_by(media_files.c.content_hash)
            .limit(page)
        )
        with catalog.engine.connect() as conn:
            rows = conn.execute(query).all()
            details = _file_details(conn, library, [row.rel_path for row in rows])
        for row in rows:
            size, mtime_ns = details[row.rel_path]
            yield PendingRender(row.content_hash, row.rel_path, size, mtime_ns)
        if len(rows) < page:
            return
        after = rows[-1].content_hash


def _file_details(conn: Any, library: Library, rel_paths: list[str]) -> dict[str, tuple[int, int]]:
    if not rel_paths:
        return {}
    rows = conn.execute(
        select(media_files.c.rel_path, media_files.c.size, media_files.c.mtime_ns).where(
            media_files.c.library_id == library.id, media_files.c.rel_path.in_(rel_paths)
        )
    )
    return {row.rel_path: (row.size, row.mtime_ns) for row in rows}


def save_derivatives(catalog: Catalog, settings: str, made: Sequence[Derivatives]) -> None:
    if not made:
        return
    now = utcnow()
    rows = [
        {
            "content_hash": d.content_hash,
            "settings": settings,
            "preview_path": d.preview_path,
            "preview_width": d.preview_size[0],
            "preview_height": d.preview_size[1],
            "preview_bytes": d.preview_bytes,
            "thumbnail_path": d.thumbnail_path,
            "thumbnail_width": d.thumbnail_size[0],
            "thumbnail_height": d.thumbnail_size[1],
            "thumbnail_bytes": d.thumbnail_bytes,
            "created_at": now,
        }
        for d in made
    ]
    with catalog.transaction() as writer:
        statement = writer.insert(thumbnails)
        statement = statement.on_conflict_do_update(
            index_elements=["content_hash"],
            set_={name: statement.excluded[name] for name in rows[0] if name != "content_hash"},
        )
        writer.conn.execute(statement, rows)


def derivatives_of(catalog: Catalog, content_hash: str) -> dict[str, Any] | None:
    with catalog.engine.connect() as conn:
        row = (
            conn.execute(select(thumbnails).where(thumbnails.c.content_hash == content_hash))
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None
