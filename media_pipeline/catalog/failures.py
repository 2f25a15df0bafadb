"""The errors ledger: files that failed a stage, kept until they succeed or are cleared, so
that an unchanged failed file is not retried on every run and `errors` can list them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, update

from media_pipeline.catalog.schema import libraries, processing_errors
from media_pipeline.catalog.store import Catalog, CatalogWriter, utcnow


@dataclass(frozen=True)
class FileFailure:
    """One file that failed one stage, for the errors ledger."""

    rel_path: str
    stage: str
    error: str
    size: int | None = None
    mtime_ns: int | None = None


def unresolved_failures(
    catalog: Catalog, library_id: int, stage: str
) -> dict[str, tuple[int, int]]:
    """rel_path -> (size, mtime_ns) of files that failed `stage` and have not changed since."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(
                processing_errors.c.rel_path,
                processing_errors.c.size,
                processing_errors.c.mtime_ns,
            ).where(
                processing_errors.c.library_id == library_id,
                processing_errors.c.stage == stage,
                processing_errors.c.resolved_at.is_(None),
            )
        )
        return {row.rel_path: (row.size, row.mtime_ns) for row in rows}


def unresolved_error_paths(catalog: Catalog, library_id: int) -> set[str]:
    """Paths with an unresolved failure in any stage (the ledger is small: a set)."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(processing_errors.c.rel_path)
            .where(
                processing_errors.c.library_id == library_id,
                processing_errors.c.resolved_at.is_(None),
            )
            .distinct()
        )
        return {row[0] for row in rows}


def list_errors(
    catalog: Catalog, include_resolved: bool = False, stage: str | None = None
) -> list[dict[str, Any]]:
    query = (
        select(processing_errors, libraries.c.name.label("library"), libraries.c.root)
        .join(libraries, libraries.c.id == processing_errors.c.library_id)
        .order_by(processing_errors.c.last_seen.desc(), processing_errors.c.rel_path)
    )
    if not include_resolved:
        query = query.where(processing_errors.c.resolved_at.is_(None))
    if stage:
        query = query.where(processing_errors.c.stage == stage)
    with catalog.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def count_errors(catalog: Catalog) -> dict[str, int]:
    """Unresolved failures per stage."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(processing_errors.c.stage, func.count())
            .where(processing_errors.c.resolved_at.is_(None))
            .group_by(processing_errors.c.stage)
        )
        return {stage: n for stage, n in rows}


def _open_errors(stage: str | None) -> ColumnElement[bool]:
    """Unresolved failures, of one stage or of all."""
    condition = processing_errors.c.resolved_at.is_(None)
    return condition & (processing_errors.c.stage == stage) if stage else condition


def clear_errors(catalog: Catalog, stage: str | None = None) -> int:
    """Mark unresolved failures resolved, of one stage or of all (they stay listed with
    `errors --all`)."""
    with catalog.engine.begin() as conn:
        result = conn.execute(
            update(processing_errors).where(_open_errors(stage)).values(resolved_at=utcnow())
        )
        return result.rowcount


def retry_errors(catalog: Catalog, stage: str | None = None) -> list[str]:
    """Forget the (size, mtime) that keeps unchanged failed files from being retried (of one
    stage or of all); returns the libraries that have them, for the caller to run again."""
    with catalog.engine.begin() as conn:
        conn.execute(
            update(processing_errors).where(_open_errors(stage)).values(size=None, mtime_ns=None)
        )
        rows = conn.execute(
            select(libraries.c.name)
            .join(processing_errors, processing_errors.c.library_id == libraries.c.id)
            .where(_open_errors(stage))
            .distinct()
            .order_by(libraries.c.name)
        )
        return [row[0] for row in rows]


def record_errors(writer: CatalogWriter, library_id: int, failures: Sequence[FileFailure]) -> None:
    """Add failures to the ledger; a file failing again counts one more attempt."""
    if not failures:
        return
    now = utcnow()
    rows = [
        {
            "library_id": library_id,
            "rel_path": failure.rel_path,
            "stage": failure.stage,
            "error": failure.error,
            "attempts": 1,
            "first_seen": now,
            "last_seen": now,
            "resolved_at": None,
            "size": failure.size,
            "mtime_ns": failure.mtime_ns,
        }
        for failure in failures
    ]
    statement = writer.insert(processing_errors)
    statement = statement.on_conflict_do_update(
        index_elements=["library_id", "rel_path", "stage"],
        set_={
            "attempts": processing_errors.c.attempts + 1,
            **{
                name: statement.excluded[name]
                for name in ("error", "last_seen", "resolved_at", "size", "mtime_ns")
            },
        },
    )
    writer.conn.execute(statement, rows)


def resolve_errors(
    writer: CatalogWriter, library_id: int, stage: str | None, rel_paths: Sequence[str]
) -> None:
    """Mark the failures of these paths resolved: in ``stage``, or every stage (None)."""
    if not rel_paths:
        return
    where = [
        processing_errors.c.library_id == library_id,
        processing_errors.c.rel_path.in_(list(rel_paths)),
        processing_errors.c.resolved_at.is_(None),
    ]
    if stage is not None:
        where.append(processing_errors.c.stage == stage)
    writer.conn.execute(update(processing_errors).where(*where).values(resolved_at=utcnow()))
