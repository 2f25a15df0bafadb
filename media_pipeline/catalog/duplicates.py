"""Catalog queries of duplicate groups: the candidates the duplicates assets compare, the
groups they store, and the groups `duplicates` lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select

from media_pipeline.catalog.schema import duplicate_files, libraries, media_files, thumbnails
from media_pipeline.catalog.store import Catalog, file_path


@dataclass(frozen=True)
class GroupOfFiles:
    """A group to store: its files' ids, the suggested keeper among them, and the lowest
    similarity that joined it (1.0 for exact copies)."""

    similarity: float
    file_ids: list[int]
    keeper: int


@dataclass
class DuplicateGroup:
    """A stored group as `duplicates` lists it (``dataclasses.asdict`` is the --json shape):
    absolute paths, the keeper's among them."""

    kind: str  # "exact" or "near"
    similarity: float
    keeper: str | None = None
    files: list[str] = field(default_factory=list)


def duplicate_candidates(catalog: Catalog, copies_only: bool = False) -> list[Any]:
    """Every present image with what picks a keeper (size, date, format) and its thumbnail
    (for the perceptual hash); ``copies_only``: only contents present more than once, found
    by the database (exact duplicates need nothing else of a 100,000-photo collection). The
    duplicates assets unpack the rows in this column order."""
    present_image = (media_files.c.status == "present", media_files.c.kind == "image")
    query = (
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
        .where(*present_image)
    )
    if copies_only:
        copied = (
            select(media_files.c.content_hash)
            .where(*present_image)
            .group_by(media_files.c.content_hash)
            .having(func.count() > 1)
        )
        query = query.where(media_files.c.content_hash.in_(copied))
    with catalog.engine.connect() as conn:
        return conn.execute(query).all()


def replace_duplicates(catalog: Catalog, kind: str, groups: Sequence[GroupOfFiles]) -> None:
    """Make the duplicate groups of ``kind`` exactly ``groups``; safe when two runs rebuild
    at once (see CatalogWriter.exclusive)."""
    rows = [
        {
            "group_id": number,
            "kind": kind,
            "similarity": group.similarity,
            "file_id": file_id,
            "keeper": file_id == group.keeper,
        }
        for number, group in enumerate(groups, start=1)
        for file_id in group.file_ids
    ]
    with catalog.transaction() as writer:
        writer.exclusive(duplicate_files)
        writer.conn.execute(delete(duplicate_files).where(duplicate_files.c.kind == kind))
        if rows:
            writer.conn.execute(duplicate_files.insert(), rows)


def list_duplicates(catalog: Catalog) -> list[DuplicateGroup]:
    """Every stored group, exact ones first, each group's files by path."""
    groups: dict[tuple[str, int], DuplicateGroup] = {}
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
                (kind, group_id), DuplicateGroup(kind=kind, similarity=round(similarity, 4))
            )
            group.files.append(path)
            if keeper:
                group.keeper = path
    return list(groups.values())
