"""Catalog queries of CLIP embeddings (duplicate groups: catalog/duplicates.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, exists, select

from media_pipeline.catalog.live import standalone
from media_pipeline.catalog.schema import (
    clip_embeddings,
    libraries,
    media_files,
)
from media_pipeline.catalog.store import Catalog, file_path, utcnow

if TYPE_CHECKING:  # imported where vectors are read or written: `search` lists paths without it
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


def vectors_of(
    catalog: Catalog, model: str, content_hashes: Sequence[str], chunk: int = 500
) -> dict[str, np.ndarray]:
    """content hash -> its vector by `model`, for those of ``content_hashes`` that have one."""
    import numpy as np

    found: dict[str, np.ndarray] = {}
    with catalog.engine.connect() as conn:
        for start in range(0, len(content_hashes), chunk):
            rows = conn.execute(
                select(clip_embeddings.c.content_hash, clip_embeddings.c.vector).where(
                    clip_embeddings.c.model == model,
                    clip_embeddings.c.content_hash.in_(content_hashes[start : start + chunk]),
                )
            )
            for content_hash, vector in rows:
                found[content_hash] = np.frombuffer(vector, dtype=np.float32)
    return found


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
