"""Purge files missing for longer than a grace period, with what was derived from them.

Only catalog rows and derivatives go; originals are never touched (they are missing anyway).
A derivative (thumbnails, video encodings, embeddings, faces and their crops) is shared by
every file with the same content, so it is deleted only when no remaining row has that
content. People and their
names stay; one whose faces are all gone is no longer listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from media_pipeline.catalog.schema import (
    clip_embeddings,
    face_scans,
    faces,
    libraries,
    media_files,
    thumbnails,
    video_encodings,
)
from media_pipeline.catalog.store import Catalog, file_path, utcnow


@dataclass
class PurgeReport:
    files: list[str] = field(default_factory=list)  # absolute paths of the purged rows
    derivatives: int = 0  # derivative files deleted from disk
    dry_run: bool = True


def purge_missing(
    catalog: Catalog,
    home: Path,
    grace: timedelta = timedelta(days=30),
    *,
    dry_run: bool = True,
    now: datetime | None = None,
) -> PurgeReport:
    cutoff = (now or utcnow()) - grace
    report = PurgeReport(dry_run=dry_run)
    with catalog.transaction() as writer:
        conn = writer.conn
        doomed = conn.execute(
            select(
                media_files.c.id,
                media_files.c.content_hash,
                libraries.c.root,
                media_files.c.rel_path,
            )
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .where(media_files.c.status == "missing", media_files.c.missing_since < cutoff)
            .order_by(libraries.c.root, media_files.c.rel_path)
        ).all()
        report.files = [file_path(row.root, row.rel_path) for row in doomed]
        if dry_run or not doomed:
            return report
        ids = [row.id for row in doomed]
        for start in range(0, len(ids), 500):
            conn.execute(delete(media_files).where(media_files.c.id.in_(ids[start : start + 500])))
        hashes = {row.content_hash for row in doomed}
        still_used = {
            row[0]
            for row in conn.execute(
                select(media_files.c.content_hash).where(media_files.c.content_hash.in_(hashes))
            )
        }
        gone = list(hashes - still_used)
        files = [
            path
            for row in conn.execute(
                select(thumbnails.c.preview_path, thumbnails.c.thumbnail_path).where(
                    thumbnails.c.content_hash.in_(gone)
                )
            )
            for path in row
        ]
        files += [
            row.crop_path
            for row in conn.execute(
                select(faces.c.crop_path).where(
                    faces.c.content_hash.in_(gone), faces.c.crop_path.is_not(None)
                )
            )
        ]
        files += [
            row.encoded_path
            for row in conn.execute(
                select(video_encodings.c.encoded_path).where(
                    video_encodings.c.content_hash.in_(gone),
                    video_encodings.c.encoded_path.is_not(None),
                )
            )
        ]
        for table in (thumbnails, clip_embeddings, face_scans, faces, video_encodings):
            conn.execute(delete(table).where(table.c.content_hash.in_(gone)))
    # Files go only once the rows are gone for good (after the commit).
    for rel_path in files:
        try:
            (home / rel_path).unlink()
            report.derivatives += 1
        except FileNotFoundError:
            pass
    return report
