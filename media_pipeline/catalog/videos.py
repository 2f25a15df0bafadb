"""Catalog queries of the video stage: which videos are settled under the current settings,
and what was decided or made for each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from media_pipeline.catalog.schema import media_files, video_encodings
from media_pipeline.catalog.store import Catalog, utcnow

STAGE = "video_encodings"
HWACCEL_STAGE = "video_hwaccel"  # the ledger's line for a hardware encoder that fell back


@dataclass(frozen=True)
class VideoEncoding:
    content_hash: str
    encoded_path: str | None  # None: the original plays as it is
    reason: str
    encoder: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    bytes: int | None = None


def settled(settings: str) -> ColumnElement[bool]:
    """Nothing to do for the file: not a video, or decided with these settings."""
    return (media_files.c.kind != "video") | exists().where(
        video_encodings.c.content_hash == media_files.c.content_hash,
        video_encodings.c.settings == settings,
    )


def save_encodings(catalog: Catalog, settings: str, made: Sequence[VideoEncoding]) -> None:
    if not made:
        return
    now = utcnow()
    rows = [{**asdict(item), "settings": settings, "created_at": now} for item in made]
    with catalog.transaction() as writer:
        writer.upsert(video_encodings, rows, ["content_hash"])


def encoding_of(catalog: Catalog, content_hash: str) -> dict[str, Any] | None:
    with catalog.engine.connect() as conn:
        row = (
            conn.execute(
                select(video_encodings).where(video_encodings.c.content_hash == content_hash)
            )
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None
