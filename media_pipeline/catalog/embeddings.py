"""Catalog queries of CLIP embeddings and duplicate groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, delete, exists, select

from media_pipeline.catalog.live import standalone
from media_pipeline.catalog.schema import (
    clip_embeddings,
    duplicate_files,
    libraries,
    media_files,
    thumbnails,
)
from media_pipeline.catalog.store import Catalog, file_path, utcnow

if TYPE_CHECKING:  # imported where vectors are read or written: `duplicates` lists without it
    import numpy as np

STAGE = "clip"


def embedded(model: str) -> ColumnElement[bool]:
    """A file's content already has an embedding by this model."""
    return exists().where(
        clip_embeddings.c.content_hash == media_files.c.content_hash,
        clip_embeddings.c.model == model,
    )


def save_embeddings(
    catalog: Catalog, model: str, vectors: Sequence[tuple[str, np.ndarray]]
) -> None:
    import numpy as np

    if not vectors:
        return
    now = utcnow()
    rows = [
        {
            "content_hash": content_hash,
            "model": model,
            "dim": int(vector.shape[0]),
            "vector": np.asarray(vector, dtype=np.float32).tobytes(),
            "created_at": now,
        }
        for content_hash, vector in vectors
    ]
    with catalog.transaction() as writer:
        statement = writer.insert(clip_embeddings)
        statement = statement.on_conflict_do_update(
            index_elements=["content_hash", "model"],
            set_={name: statement.excluded[name] for name in ("dim", "vector", "created_at")},
        )
        writer.conn.execute(statement, rows)


def iter_embeddings(
    catalog: Catalog, model: str, page: int = 10_000
) -> Iterator[tuple[str, np.ndarray]]:
    """(content hash, vector) of every embedding by `model` whose content is still present."""
    import numpy as np

    after = ""
    present = exists().where(
        media_files.c.content_hash == clip_embeddings.c.content_hash,
        media_files.c.status == "present",
    )
    while True:
        with catalog.engine.connect() as conn:
            rows = conn.execute(
                select(clip_embeddings.c.content_hash, clip_embeddings.c.vector)
                .where(
                    clip_embeddings.c.model == model,
                    clip_embeddings.c.content_hash > after,
                    present,
                )
                .order_by(clip_embeddings.c.content_hash)
                .limit(page)
            ).all()
        for row in rows:
            yield row.content_hash, np.frombuffer(row.vector, dtype=np.float32)
        if len(rows) < page:
            return
        after = rows[-1].content_hash


def paths_of(catalog: Catalog, content_hashes: Sequence[str]) -> dict[str, list[str]]:
    """content hash -> absolute paths of the present files holding it."""
    found: dict[str, list[str]] = {}
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(media_files.c.content_hash, libraries.c.root, media_files.c.rel_path)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .where(
                media_files.c.content_hash.in_(list(content_hashes)),
                media_files.c.status == "present",
                standalone(),  # a Live Photo shows as its still
            )
            .order_by(media_files.c.rel_path)
        )
        for content_hash, root, rel_path in rows:
            found.setdefault(content_hash, []).append(file_path(root, rel_path))
    return found


def duplicate_candidates(catalog: Catalog) -> list[Any]:
    """Every present image with what picks a keeper (size, date, format) and its thumbnail
    (for the perceptual hash)."""
    with catalog.engine.connect() as conn:
        return conn.execute(
            select(
                media_files.c.id,
                media_files.c.content_hash,
                libraries.c.root,
                media_files.c.rel_path,
                media_files.c.width,
                media_files.c.height,
                media_files.c.taken_at_utc,
                media_files.c.taken_at,
                media_files.c.mime,
                media_files.c.size,
                thumbnails.c.thumbnail_path,
            )
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .outerjoin(thumbnails, thumbnails.c.content_hash == media_files.c.content_hash)
            .where(media_files.c.status == "present", media_files.c.kind == "image")
        ).all()


def replace_duplicates(catalog: Catalog, kind: str, groups: Sequence[dict[str, Any]]) -> None:
    """Make the duplicate groups of ``kind`` exactly ``groups`` (dicts: similarity, files,
    keeper); safe when two runs rebuild at once (see CatalogWriter.exclusive)."""
    rows = [
        {
            "group_id": number,
            "kind": kind,
            "similarity": group["similarity"],
            "file_id": file_id,
            "keeper": file_id == group["keeper"],
        }
        for number, group in enumerate(groups, start=1)
        for file_id in group["files"]
    ]
    with catalog.transaction() as writer:
        writer.exclusive(duplicate_files)
        writer.conn.execute(delete(duplicate_files).where(duplicate_files.c.kind == kind))
        if rows:
            writer.conn.execute(duplicate_files.insert(), rows)


def list_duplicates(catalog: Catalog) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(
                duplicate_files.c.group_id,
                duplicate_files.c.kind,
                duplicate_files.c.similarity,
                duplicate_files.c.keeper,
                libraries.c.root,
                media_files.c.rel_path,
            )
            .join(media_files, media_files.c.id == duplicate_files.c.file_id)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .order_by(duplicate_files.c.kind, duplicate_files.c.group_id, media_files.c.rel_path)
        )
        for group_id, kind, similarity, keeper, root, rel_path in rows:
            path = file_path(root, rel_path)
            group = groups.setdefault(
                (kind, group_id),
                {"kind": kind, "similarity": round(similarity, 4), "keeper": None, "files": []},
            )
            group["files"].append(path)
            if keeper:
                group["keeper"] = path
    return list(groups.values())
