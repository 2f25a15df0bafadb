"""One file's catalog record in the `info --json` contract (shared/DESIGN.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from media_pipeline.catalog.schema import METADATA_COLUMNS
from media_pipeline.catalog.store import Catalog


def _derived() -> dict[str, Any]:
    """Filled by the derived assets (thumbnails, faces, albums) once they have run for the file."""
    return {"preview_path": None, "thumbnail_path": None, "faces": [], "albums": []}


def _local(value: datetime | None) -> str | None:
    """ISO 8601 without offset; milliseconds only when the camera recorded sub-seconds."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")


def _utc(value: datetime | None) -> str | None:
    return f"{_local(value)}Z" if value else None


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
    info["taken_at"] = _local(row["taken_at"])
    info["taken_at_utc"] = _utc(row["taken_at_utc"])
    info["status"] = row["status"]
    info["missing_since"] = _utc(row["missing_since"])
    info.update(_derived())
    return info
