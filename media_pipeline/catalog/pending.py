"""What a derived stage still has to do for a library: contents of present files that are not
done yet and did not fail unchanged. One query shape serves every content-addressed stage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.sql import Select

from media_pipeline.catalog.live import standalone
from media_pipeline.catalog.schema import media_files, processing_errors
from media_pipeline.catalog.store import Catalog, Library


@dataclass(frozen=True)
class PendingContent:
    """One content to process, through one of the (possibly several) paths that hold it."""

    content_hash: str
    rel_path: str
    size: int
    mtime_ns: int


def in_pages(items: Iterable[PendingContent], size: int) -> Iterator[list[PendingContent]]:
    """Pending contents in lists of ``size``: a stage looks up what it needs (previews,
    sizes) with one catalog query per page instead of one per file."""
    page: list[PendingContent] = []
    for item in items:
        page.append(item)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page


@dataclass(frozen=True)
class HashRange:
    """Contents with ``after < content_hash <= upto`` (``upto`` None: no upper bound): what one
    batch of a stage covers, so a batch re-reads what is still pending in its range."""

    after: str = ""
    upto: str | None = None


EVERYTHING = HashRange()


def _query(
    library: Library, stage: str, done: ColumnElement[bool], within: HashRange = EVERYTHING
) -> Select:
    """`done` is a condition on media_files' row (e.g. EXISTS a derivative of its content)."""
    failed_unchanged = exists().where(
        processing_errors.c.library_id == media_files.c.library_id,
        processing_errors.c.rel_path == media_files.c.rel_path,
        processing_errors.c.stage == stage,
        processing_errors.c.resolved_at.is_(None),
        processing_errors.c.size == media_files.c.size,
        processing_errors.c.mtime_ns == media_files.c.mtime_ns,
    )
    query = select(
        media_files.c.content_hash, func.min(media_files.c.rel_path).label("rel_path")
    ).where(
        media_files.c.library_id == library.id,
        media_files.c.status == "present",
        standalone(),  # a Live Photo's video is shown, embedded and searched as its still
        ~done,
        ~failed_unchanged,
    )
    if within.after:
        query = query.where(media_files.c.content_hash > within.after)
    if within.upto is not None:
        query = query.where(media_files.c.content_hash <= within.upto)
    return query.group_by(media_files.c.content_hash)


def count_pending(
    catalog: Catalog,
    library: Library,
    stage: str,
    done: ColumnElement[bool],
    within: HashRange = EVERYTHING,
) -> int:
    query = select(func.count()).select_from(_query(library, stage, done, within).subquery())
    with catalog.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def iter_pending(
    catalog: Catalog,
    library: Library,
    stage: str,
    done: ColumnElement[bool],
    page: int = 500,
    within: HashRange = EVERYTHING,
) -> Iterator[PendingContent]:
    """In hash order, one short query per page: no transaction stays open while the stage
    works, and memory stays flat."""
    after = within.after
    while True:
        query = (
            _query(library, stage, done, within)
            .where(media_files.c.content_hash > after)
            .order_by(media_files.c.content_hash)
            .limit(page)
        )
        with catalog.engine.connect() as conn:
            rows = conn.execute(query).all()
            paths = [row.rel_path for row in rows]
            details = (
                {
                    row.rel_path: (row.size, row.mtime_ns)
                    for row in conn.execute(
                        select(media_files.c.rel_path, media_files.c.size, media_files.c.mtime_ns)
                        .where(media_files.c.library_id == library.id)
                        .where(media_files.c.rel_path.in_(paths))
                    )
                }
                if paths
                else {}
            )
        for row in rows:
            size, mtime_ns = details[row.rel_path]
            yield PendingContent(row.content_hash, row.rel_path, size, mtime_ns)
        if len(rows) < page:
            return
        after = rows[-1].content_hash
