"""Live Photos and motion photos: a still and its short video are one item, the still.

An Apple Live Photo is a HEIC/JPEG and a MOV that share a content identifier (the still's
Apple MakerNote, the video's ``com.apple.quicktime.content.identifier``); files copied
without metadata are paired by name instead (IMG_0001.HEIC + IMG_0001.MOV in one folder) when
the video is short. The video row keeps its place in the catalog, marked ``paired_with`` the
still, so albums, search, people and duplicates show the pair once. A motion photo (Google,
Samsung) carries its video inside the still: the scan extracts it under MEDIA_PIPELINE_HOME
(``motion_video``).
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update

from media_pipeline import settings
from media_pipeline.catalog.schema import media_files
from media_pipeline.catalog.store import Catalog, Library

# Live Photo videos run about 3 s; a longer clip of the same name is a video of its own.
MAX_LIVE_SECONDS = 6.0


def standalone() -> ColumnElement[bool]:
    """Rows that are items of their own: everything but a Live Photo's video."""
    return media_files.c.paired_with.is_(None)


def _stem(rel_path: str) -> str:
    return os.path.splitext(rel_path)[0].casefold()


def link_live_photos(catalog: Catalog, library_id: int) -> int:
    """Pair the library's Live Photo videos with their stills; returns the pairs."""
    present = and_(media_files.c.library_id == library_id, media_files.c.status == "present")
    columns = (
        media_files.c.id,
        media_files.c.rel_path,
        media_files.c.content_identifier,
        media_files.c.duration,
        media_files.c.paired_with,
    )
    with catalog.engine.connect() as conn:
        videos = conn.execute(select(*columns).where(present, media_files.c.kind == "video")).all()
        if not videos:
            return 0
        stills = conn.execute(
            select(*columns[:3]).where(
                present,
                media_files.c.kind == "image",
                media_files.c.dir.in_({os.path.dirname(v.rel_path) for v in videos})
                | media_files.c.content_identifier.in_(
                    {v.content_identifier for v in videos if v.content_identifier}
                ),
            )
        ).all()
    by_identifier = {s.content_identifier: s.id for s in stills if s.content_identifier}
    by_name = {_stem(s.rel_path): s for s in stills}
    pairs: dict[int, int | None] = {}
    for video in videos:
        still_id = by_identifier.get(video.content_identifier) if video.content_identifier else None
        named = by_name.get(_stem(video.rel_path))
        if (
            still_id is None
            and named is not None
            and video.duration is not None
            and video.duration <= MAX_LIVE_SECONDS
            and not (video.content_identifier and named.content_identifier)
        ):
            still_id = named.id
        if still_id != video.paired_with:
            pairs[video.id] = still_id
    if pairs:
        with catalog.transaction() as writer:
            for video_id, still_id in pairs.items():
                writer.conn.execute(
                    update(media_files)
                    .where(media_files.c.id == video_id)
                    .values(paired_with=still_id)
                )
    return sum(1 for video in videos if pairs.get(video.id, video.paired_with) is not None)


def save_motion_video(data: bytes, span: tuple[int, int], content_hash: str) -> str:
    """Write a motion photo's video once, content-addressed; its path under MEDIA_PIPELINE_HOME."""
    relative = f"motion/{content_hash[:2]}/{content_hash[2:4]}/{content_hash}.mp4"
    target = settings.media_home() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        offset, length = span
        partial.write_bytes(data[offset : offset + length])
        os.replace(partial, target)
    return relative


def live_video_of(catalog: Catalog, library: Library, row: dict[str, Any]) -> str | None:
    """The moving part of a still: its extracted motion video, or its Live Photo's video."""
    if row.get("motion_video"):
        return str(settings.media_home() / row["motion_video"])
    if row["kind"] != "image":
        return None
    with catalog.engine.connect() as conn:
        rel_path = conn.execute(
            select(media_files.c.rel_path)
            .where(media_files.c.paired_with == row["id"], media_files.c.status == "present")
            .order_by(media_files.c.id)
            .limit(1)
        ).scalar()
    return library.absolute(rel_path) if rel_path else None
