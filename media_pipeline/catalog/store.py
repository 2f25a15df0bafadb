"""Reads and writes of the catalog, shared by the Dagster assets and the CLI.

No Dagster here: the resource in `catalog/resource.py` only decides which URL to open.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Engine,
    Table,
    and_,
    create_engine,
    event,
    false,
    func,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from media_pipeline.catalog.schema import (
    METADATA_COLUMNS,
    libraries,
    media_files,
    processing_errors,
)
from media_pipeline.catalog.schema_version import at_head

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> datetime:
    """Naive UTC, the form every timestamp column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def file_path(root: str, rel_path: str) -> str:
    """A catalogued file's absolute path: its library's root joined with its relative path
    (the one spelling every query that shows paths uses)."""
    return os.path.join(root, rel_path)


@dataclass(frozen=True)
class Library:
    id: int
    name: str
    root: str

    def absolute(self, rel_path: str) -> str:
        return file_path(self.root, rel_path)


class KnownFile(NamedTuple):
    """What the scanner needs of a catalogued file to decide whether to look at it again (a
    tuple: a rescan makes one per catalogued file, and a frozen dataclass costs 3x as much)."""

    id: int
    rel_path: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    metadata_version: int


@dataclass(frozen=True)
class FileVersion:
    """What a scan learned of one file: the row it writes."""

    rel_path: str
    size: int
    mtime_ns: int
    content_hash: str
    metadata_version: int
    metadata: dict[str, Any]


# Columns an upsert refreshes besides the metadata (id, first_seen and dir are kept).
_VERSION_COLUMNS = (
    "size",
    "mtime_ns",
    "content_hash",
    "metadata_version",
    "status",
    "missing_since",
    "updated_at",
)

_KNOWN_COLUMNS = (
    media_files.c.id,
    media_files.c.rel_path,
    media_files.c.size,
    media_files.c.mtime_ns,
    media_files.c.content_hash,
    media_files.c.status,
    media_files.c.metadata_version,
)


class Catalog:
    """One catalog database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- schema -----------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to Alembic's head; safe when several processes start at once.
        Alembic is loaded only when the version table is behind (see schema_version)."""
        if at_head(self.engine):
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._migration_lock(), self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7262001)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- libraries --------------------------------------------------------------------------

    def add_library(self, name: str, root: str) -> Library:
        """Register a folder; re-adding the same name and folder is a no-op."""
        root = os.path.abspath(root)
        existing = self.library(name)
        if existing is not None:
            if existing.root != root:
                raise ValueError(
                    f"library {name!r} already exists with folder {existing.root}; "
                    "choose another name"
                )
            return existing
        for other in self.libraries():
            if other.root == root:
                raise ValueError(f"folder {root} is already library {other.name!r}")
        with self.engine.begin() as conn:
            conn.execute(libraries.insert().values(name=name, root=root, created_at=utcnow()))
        added = self.library(name)
        assert added is not None
        return added

    def libraries(self) -> list[Library]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(libraries.c.id, libraries.c.name, libraries.c.root).order_by(
                    libraries.c.name
                )
            )
            return [Library(*row) for row in rows]

    def library(self, name: str) -> Library | None:
        return next((lib for lib in self.libraries() if lib.name == name), None)

    def locate(self, path: str) -> tuple[Library, str] | None:
        """The library holding an absolute path, and the path relative to its root."""
        path = os.path.abspath(path)
        best: tuple[Library, str] | None = None
        for lib in self.libraries():
            if path == lib.root or path.startswith(lib.root.rstrip(os.sep) + os.sep):
                rel = os.path.relpath(path, lib.root)
                if best is None or len(lib.root) > len(best[0].root):
                    best = (lib, rel)
        return best

    def touch_library_scanned(self, library_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(libraries).where(libraries.c.id == library_id).values(last_scan_at=utcnow())
            )

    # -- what the scanner compares against ----------------------------------------------------

    def files_in_dir(self, library_id: int, directory: str) -> dict[str, KnownFile]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_KNOWN_COLUMNS).where(
                    media_files.c.library_id == library_id, media_files.c.dir == directory
                )
            )
            return {row[1]: KnownFile._make(row) for row in rows}

    def files_at(self, library_id: int, rel_paths: Sequence[str]) -> dict[str, KnownFile]:
        """The rows of these paths (the scan's batches look up what an earlier attempt of
        theirs already committed)."""
        found: dict[str, KnownFile] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(rel_paths), 500):
                rows = conn.execute(
                    select(*_KNOWN_COLUMNS).where(
                        media_files.c.library_id == library_id,
                        media_files.c.rel_path.in_(list(rel_paths[start : start + 500])),
                    )
                )
                found.update((row[1], KnownFile._make(row)) for row in rows)
        return found

    def present_dirs(self, library_id: int) -> set[str]:
        """Folders that hold present files (far fewer than files, so a set is fine)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(media_files.c.dir)
                .where(media_files.c.library_id == library_id, media_files.c.status == "present")
                .distinct()
            )
            return {row[0] for row in rows}

    def missing_with_hash(
        self, library_id: int, content_hash: str, limit: int = 20
    ) -> list[KnownFile]:
        """Missing files with this content, oldest rows first: the rows a new copy may have
        been moved from. Present copies are never read, so the cost does not grow with them."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_KNOWN_COLUMNS)
                .where(
                    media_files.c.library_id == library_id,
                    media_files.c.content_hash == content_hash,
                    media_files.c.status == "missing",
                )
                .order_by(media_files.c.id)
                .limit(limit)
            )
            return [KnownFile._make(row) for row in rows]

    # -- writes -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[CatalogWriter]:
        """One committed batch: everything inside lands together or not at all."""
        with self.engine.begin() as conn:
            yield CatalogWriter(conn)

    # -- what users query -----------------------------------------------------------------------

    def file_record(self, library: Library, rel_path: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(media_files).where(
                        media_files.c.library_id == library.id, media_files.c.rel_path == rel_path
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    def library_counts(self) -> dict[int, dict[str, int]]:
        """Per library: present and missing files, unresolved errors."""
        counts: dict[int, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for library_id, status, n in conn.execute(
                select(media_files.c.library_id, media_files.c.status, func.count()).group_by(
                    media_files.c.library_id, media_files.c.status
                )
            ):
                counts.setdefault(library_id, {})[status] = n
            for library_id, n in conn.execute(
                select(processing_errors.c.library_id, func.count())
                .where(processing_errors.c.resolved_at.is_(None))
                .group_by(processing_errors.c.library_id)
            ):
                counts.setdefault(library_id, {})["errors"] = n
        return counts

    def content_hash_of(self, file_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(media_files.c.content_hash).where(media_files.c.id == file_id)
            ).scalar()

    def count_files(self, library_id: int | None = None, status: str | None = None) -> int:
        query = select(func.count()).select_from(media_files)
        if library_id is not None:
            query = query.where(media_files.c.library_id == library_id)
        if status is not None:
            query = query.where(media_files.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


class CatalogWriter:
    """Writes inside one transaction (see Catalog.transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # INSERT … ON CONFLICT, in the dialect's own spelling (SQLite and PostgreSQL agree);
        # imported here, as the read-only commands never write (PostgreSQL's costs 40 ms).
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        self.insert = insert

    def exclusive(self, *tables: Table) -> None:
        """Rebuilds of these tables in overlapping runs wait for each other instead of
        inserting the same keys twice. PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself
        and with writes, never with readers. SQLite runs one writer at a time from the first
        write of a transaction (its reads before that are not even in it), so the
        transaction starts with a write that changes nothing: what it reads next is current
        and stays so until it commits. Call it first in the transaction."""
        if self.conn.dialect.name == "postgresql":
            names = ", ".join(self.conn.dialect.identifier_preparer.format_table(t) for t in tables)
            self.conn.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
        elif tables:
            [key, *_] = tables[0].primary_key.columns
            self.conn.execute(update(tables[0]).where(false()).values({key: key}))

    def upsert(self, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
        """Insert rows, or refresh every other column of the row with the same ``keys``: how
        content-addressed results (derivatives, embeddings, encodings) are saved idempotently."""
        if not rows:
            return
        statement = self.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
        )
        self.conn.execute(statement, list(rows))

    def upsert_files(self, library_id: int, files: Sequence[FileVersion]) -> None:
        """Insert or refresh files in place, in one statement; idempotent, so concurrent scans
        cannot duplicate a row."""
        if not files:
            return
        now = utcnow()
        rows = [
            {
                **{name: version.metadata.get(name) for name in METADATA_COLUMNS},
                "library_id": library_id,
                "rel_path": version.rel_path,
                "dir": os.path.dirname(version.rel_path),
                "size": version.size,
                "mtime_ns": version.mtime_ns,
                "content_hash": version.content_hash,
                "metadata_version": version.metadata_version,
                "status": "present",
                "missing_since": None,
                "first_seen": now,
                "updated_at": now,
            }
            for version in files
        ]
        statement = self.insert(media_files)
        refreshed = [*METADATA_COLUMNS, *_VERSION_COLUMNS]
        statement = statement.on_conflict_do_update(
            index_elements=["library_id", "rel_path"],
            set_={name: statement.excluded[name] for name in refreshed},
        )
        self.conn.execute(statement, rows)

    def move_file(self, file_id: int, rel_path: str, *, size: int, mtime_ns: int) -> bool:
        """Give a missing row (and everything derived from it) its new path; False when it is
        missing no more (another batch of the scan moved it first)."""
        moved = self.conn.execute(
            update(media_files)
            .where(media_files.c.id == file_id, media_files.c.status == "missing")
            .values(
                rel_path=rel_path,
                dir=os.path.dirname(rel_path),
                size=size,
                mtime_ns=mtime_ns,
                status="present",
                missing_since=None,
                updated_at=utcnow(),
            )
        )
        return moved.rowcount == 1

    def mark_missing(self, file_ids: Iterable[int]) -> int:
        ids = list(file_ids)
        if not ids:
            return 0
        result = self.conn.execute(
            update(media_files)
            .where(media_files.c.id.in_(ids), media_files.c.status == "present")
            .values(status="missing", missing_since=utcnow())
        )
        return result.rowcount

    def mark_dir_missing(self, library_id: int, directory: str) -> list[int]:
        """Mark every present file of a vanished folder missing; returns their ids."""
        condition = and_(
            media_files.c.library_id == library_id,
            media_files.c.dir == directory,
            media_files.c.status == "present",
        )
        ids = [row[0] for row in self.conn.execute(select(media_files.c.id).where(condition))]
        self.mark_missing(ids)
        return ids


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the UI and CLI read while a scan writes; busy_timeout rides out short locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


_catalogs: dict[str, Catalog] = {}
_catalogs_lock = threading.Lock()


def open_catalog(url: str) -> Catalog:
    """The catalog at `url`, migrated to the current schema; one engine per URL per process."""
    with _catalogs_lock:
        catalog = _catalogs.get(url)
        if catalog is None:
            # JSON columns (keywords) keep non-ASCII text as is, so `search` can match it.
            options: dict[str, Any] = {"json_serializer": _json_text}
            if url.startswith("sqlite:///"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, **options)
                event.listen(engine, "connect", _sqlite_pragmas)
            elif make_url(url).get_driver_name() == "psycopg2":
                # UPDATEs with many rows (face assignments, the scanner's moves) go in pages
                # through execute_batch instead of one round trip each: 100,000 face
                # assignments: 17 s as plain executemany, 5 s batched.
                engine = create_engine(
                    url, pool_pre_ping=True, executemany_mode="values_plus_batch", **options
                )
            else:
                engine = create_engine(url, pool_pre_ping=True, **options)
            catalog = Catalog(engine)
            catalog.migrate()
            _catalogs[url] = catalog
        return catalog
