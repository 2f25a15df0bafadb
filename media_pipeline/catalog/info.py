"""One file's catalog record in the `info --json` contract (shared/DESIGN.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from media_pipeline import settings
from media_pipeline.catalog.albums import albums_of_file
from media_pipeline.catalog.live import live_video_of
from media_pipeline.catalog.people import faces_of
from media_pipeline.catalog.schema import METADATA_COLUMNS
from media_pipeline.catalog.store import Catalog
from media_pipeline.catalog.text import text_of
from media_pipeline.catalog.thumbnails import derivatives_of
from media_pipeline.catalog.videos import encoding_of


def _derived(catalog: Catalog, file_id: int, content_hash: str) -> dict[str, Any]:
    """What the derived assets made of the file; empty until they have run for it."""
    made = derivatives_of(catalog, content_hash)
    video = encoding_of(catalog, content_hash)
    home = settings.media_home()
    read = text_of(catalog, content_hash)
    return {
        "preview_path": str(home / made["preview_path"]) if made else None,
        "thumbnail_path": str(home / made["thumbnail_path"]) if made else None,
        # a video's browser-playable MP4; None for photos and videos that play as they are
        "encoded_path": str(home / video["encoded_path"])
        if video and video["encoded_path"]
        else None,
        "faces": faces_of(catalog, content_hash),
        "albums": albums_of_file(catalog, file_id),
        "text": read["text"] if read else None,
    }


def local_time(value: datetime | None) -> str | None:
    """ISO 8601 without offset; milliseconds only when the camera recorded sub-seconds."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")


def _utc(value: datetime | None) -> str | None:
    return f"{local_time(value)}Z" if value else None


def file_info(catalog: Catalog, path: str) -> dict[str, Any] | None:
    located = catalog.locate(path)
    if located is None:
        return None
    library, rel_path = located
    row = catalog.file_record(library, rel_path)
    if row is None:
        return None
    info: dict[str, Any] = {
        "path": library.absolute(row["rel_path"]),
        "library": library.name,
        "size": row["size"],
        "content_hash": row["content_hash"],
    }
    info.update({name: row[name] for name in METADATA_COLUMNS})
    info["taken_at"] = local_time(row["taken_at"])
    info["taken_at_utc"] = _utc(row["taken_at_utc"])
    info["status"] = row["status"]
    info["missing_since"] = _utc(row["missing_since"])
    info["live_video"] = live_video_of(catalog, library, row)
    info.update(_derived(catalog, row["id"], row["content_hash"]))
    return info
