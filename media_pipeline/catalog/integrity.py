"""Catalog queries behind the asset checks: what a stage should cover and does not, rows
whose files are gone, files no row claims. Each answers with a count and a few examples, so a
check's metadata says what to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, exists, func, select

from media_pipeline.catalog.schema import (
    clip_embeddings,
    libraries,
    media_files,
    processing_errors,
    thumbnails,
)
from media_pipeline.catalog.store import Catalog

EXAMPLES = 10
HASH_LENGTH = 32  # xxh3-128 as hex


@dataclass
class Findings:
    """How many things are wrong, and the first few of them."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str) -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)


def _listed(conn, query) -> Findings:
    """The count, then the first examples in order: a second pass over the whole catalog
    (and a sort of it) that a healthy catalog, with nothing to show, does not pay."""
    found = Findings(
        count=conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    )
    if not found.count:
        return found
    rows = conn.execute(
        query.with_only_columns(libraries.c.name, media_files.c.rel_path).limit(EXAMPLES)
    )
    found.examples = [f"{library}:{rel_path}" for library, rel_path in rows]
    return found


def uncovered(
    catalog: Catalog,
    stage: str,
    done: ColumnElement[bool],
    needs: ColumnElement[bool] | None = None,
) -> Findings:
    """Present files (that `needs` the stage) neither `done` nor in the stage's open failures."""
    failed = exists().where(
        processing_errors.c.library_id == media_files.c.library_id,
        processing_errors.c.rel_path == media_files.c.rel_path,
        processing_errors.c.stage == stage,
        processing_errors.c.resolved_at.is_(None),
    )
    query = (
        select(media_files.c.id)
        .join(libraries, libraries.c.id == media_files.c.library_id)
        .where(media_files.c.status == "present", ~done, ~failed)
        .order_by(libraries.c.name, media_files.c.rel_path)
    )
    if needs is not None:
        query = query.where(needs)
    with catalog.engine.connect() as conn:
        return _listed(conn, query)


def without_content_hash(catalog: Catalog) -> Findings:
    """Present files whose content hash is empty or not a full xxh3-128 hash."""
    query = (
        select(media_files.c.id)
        .join(libraries, libraries.c.id == media_files.c.library_id)
        .where(
            media_files.c.status == "present",
            func.length(func.coalesce(media_files.c.content_hash, "")) != HASH_LENGTH,
        )
        .order_by(libraries.c.name, media_files.c.rel_path)
    )
    with catalog.engine.connect() as conn:
        return _listed(conn, query)


def sample_derivatives(catalog: Catalog, size: int) -> list[str]:
    """Up to `size` derivative files (previews and thumbnails) picked at random."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(thumbnails.c.preview_path, thumbnails.c.thumbnail_path)
            .order_by(func.random())
            .limit(max(1, size // 2))
        ).all()
    return [path for row in rows for path in row]


def _prefix_ranges() -> Iterator[tuple[str, str | None]]:
    """The 256 two-digit hash prefixes as [low, high) ranges: one thumbs/ab folder each."""
    for number in range(256):
        yield f"{number:02x}", f"{number + 1:02x}" if number < 255 else None


def _files_under(folder: Path, home: Path) -> set[str]:
    found = set()
    for directory, _, names in os.walk(folder):
        for name in names:
            if not name.startswith(".tmp-"):  # being written right now, or a crash's leftover
                found.add(os.path.relpath(os.path.join(directory, name), home))
    return found


def derivative_files(catalog: Catalog, home: Path, folder: str) -> tuple[Findings, Findings]:
    """(rows whose preview or thumbnail file is missing, files under `folder` that no row
    names), one hash prefix at a time so memory stays small at a million photos."""
    missing, orphans = Findings(), Findings()
    for low, high in _prefix_ranges():
        query = select(thumbnails.c.preview_path, thumbnails.c.thumbnail_path).where(
            thumbnails.c.content_hash >= low
        )
        if high is not None:
            query = query.where(thumbnails.c.content_hash < high)
        with catalog.engine.connect() as conn:
            expected = {path for row in conn.execute(query) for path in row}
        on_disk = _files_under(home / folder / low, home)
        for path in sorted(expected - on_disk):
            missing.add(path)
        for path in sorted(on_disk - expected):
            orphans.add(path)
    prefixes = {low for low, _ in _prefix_ranges()}
    top = home / folder
    for entry in sorted(os.scandir(top), key=lambda e: e.name) if top.is_dir() else []:
        if entry.name in prefixes or entry.name.startswith(".tmp-"):
            continue
        stray = (
            _files_under(Path(entry.path), home)
            if entry.is_dir()
            else {os.path.relpath(entry.path, home)}
        )
        for path in sorted(stray):
            orphans.add(path)
    return missing, orphans


def derivatives_written_since(
    catalog: Catalog, home: Path, since: datetime
) -> tuple[Findings, int]:
    """(rows written since ``since`` whose preview or thumbnail file is missing, how many rows
    that is): what one run's check costs in proportion to the run's own work."""
    missing = Findings()
    query = select(thumbnails.c.preview_path, thumbnails.c.thumbnail_path).where(
        thumbnails.c.created_at >= since
    )
    with catalog.engine.connect() as conn:
        rows = conn.execute(query).all()
    for path in sorted(path for row in rows for path in row):
        if not os.path.exists(home / path):
            missing.add(path)
    return missing, len(rows)


def embedded_keys(catalog: Catalog, model: str) -> set[str]:
    """Contents of present files with an embedding by `model`: what the index should hold."""
    present = exists().where(
        media_files.c.content_hash == clip_embeddings.c.content_hash,
        media_files.c.status == "present",
    )
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(clip_embeddings.c.content_hash).where(clip_embeddings.c.model == model, present)
        )
        return {row[0] for row in rows}
