"""Catalog queries of the thumbnails stage: what still needs rendering, and what was made."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from media_pipeline.catalog.pending import PendingContent, in_pages
from media_pipeline.catalog.schema import media_files, thumbnails
from media_pipeline.catalog.store import Catalog, utcnow

STAGE = "thumbnails"


@dataclass(frozen=True)
class Derivatives:
    content_hash: str
    preview_path: str
    preview_size: tuple[int, int]
    preview_bytes: int
    thumbnail_path: str
    thumbnail_size: tuple[int, int]
    thumbnail_bytes: int


def current(settings: str) -> ColumnElement[bool]:
    """A file's content already has derivatives made with these settings."""
    return exists().where(
        thumbnails.c.content_hash == media_files.c.content_hash,
        thumbnails.c.settings == settings,
    )


def has_preview() -> ColumnElement[bool]:
    """A file's content has a preview (of any settings): what later stages start from."""
    return exists().where(thumbnails.c.content_hash == media_files.c.content_hash)


def preview_paths(catalog: Catalog, content_hashes: Sequence[str]) -> dict[str, str]:
    """content hash -> preview path (relative to MEDIA_PIPELINE_HOME)."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(thumbnails.c.content_hash, thumbnails.c.preview_path).where(
                thumbnails.c.content_hash.in_(list(content_hashes))
            )
        )
        return {row.content_hash: row.preview_path for row in rows}


def with_previews(
    catalog: Catalog, home: Path, pending: Iterator[PendingContent], page: int = 500
) -> Iterator[tuple[PendingContent, Path]]:
    """Each pending content with its preview file, one catalog query per page (for the
    stages that read previews: CLIP, OCR)."""
    for chunk in in_pages(pending, page):
        previews = preview_paths(catalog, [item.content_hash for item in chunk])
        for item in chunk:
            yield item, home / previews[item.content_hash]


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
        writer.upsert(thumbnails, rows, ["content_hash"])


def derivatives_of(catalog: Catalog, content_hash: str) -> dict[str, Any] | None:
    with catalog.engine.connect() as conn:
        row = (
            conn.execute(select(thumbnails).where(thumbnails.c.content_hash == content_hash))
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None
