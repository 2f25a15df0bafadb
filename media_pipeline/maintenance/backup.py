"""Catalog backups into MEDIA_PIPELINE_HOME/backups, with retention, and restore.

SQLite: the online backup API (a consistent copy while scans keep writing). PostgreSQL:
`pg_dump --format=custom` (one consistent snapshot), restored with `pg_restore --clean`.
"""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from media_pipeline.catalog.schema import VERSION_TABLE, metadata
from media_pipeline.catalog.store import Catalog

PREFIX = "catalog-"
PG_TOOLS = "install PostgreSQL's client tools of the server's major version (postgresql-client)"


class BackupError(ValueError):
    """A backup or restore that cannot be done, said in one line with what to do about it."""


def _run_pg(command: list[str]) -> None:
    """pg_dump or pg_restore, their failure as a BackupError naming the fix."""
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed: {PG_TOOLS}") from None
    except subprocess.CalledProcessError as exc:
        said = (exc.stderr or "").strip().splitlines()
        reason = said[-1] if said else f"exit status {exc.returncode}"
        raise BackupError(
            f"{command[0]} failed: {reason}; check MEDIA_PIPELINE_DATABASE_URL, and {PG_TOOLS}"
        ) from None


def _pg_url(catalog: Catalog) -> str:
    """libpq's URL (postgresql://…), without SQLAlchemy's +driver."""
    return catalog.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def backup_catalog(catalog: Catalog, folder: Path, keep: int = 7) -> Path:
    """Write one backup; keep the `keep` newest. Returns the new file."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(
            f"cannot create {folder}: {exc.strerror}; "
            "make it a writable folder or set MEDIA_PIPELINE_HOME"
        ) from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    dialect = catalog.engine.dialect.name
    if dialect == "sqlite":
        target = folder / f"{PREFIX}{stamp}.sqlite"
        source = sqlite3.connect(catalog.engine.url.database)
        try:
            with sqlite3.connect(target) as copy:
                source.backup(copy)
        except sqlite3.Error as exc:
            raise BackupError(
                f"cannot write {target}: {exc}; free space in {folder} or make it writable"
            ) from None
        finally:
            source.close()
    elif dialect == "postgresql":
        target = folder / f"{PREFIX}{stamp}.pgdump"
        # Only the catalog's tables: Dagster's may share the database and have their own life.
        tables = [f"--table={name}" for name in [*metadata.tables, VERSION_TABLE]]
        _run_pg(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                *tables,
                f"--file={target}",
                _pg_url(catalog),
            ]
        )
    else:
        raise BackupError(f"no backup method for {dialect} catalogs")
    for old in list_backups(folder)[keep:]:
        old.unlink()
    return target


def list_backups(folder: Path) -> list[Path]:
    """Backups, newest first."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{PREFIX}*"), reverse=True)


def restore_catalog(catalog: Catalog, backup: Path) -> None:
    """Replace the catalog's contents with a backup's. Stop runs that write to it first."""
    dialect = catalog.engine.dialect.name
    if dialect == "sqlite" and backup.suffix == ".sqlite":
        catalog.engine.dispose()
        source = sqlite3.connect(backup)
        try:
            with sqlite3.connect(catalog.engine.url.database) as live:
                source.backup(live)
        except sqlite3.DatabaseError as exc:
            raise BackupError(
                f"cannot restore {backup.name}: {exc}; is it a catalog backup?"
            ) from None
        finally:
            source.close()
    elif dialect == "postgresql" and backup.suffix == ".pgdump":
        catalog.engine.dispose()
        _run_pg(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_pg_url(catalog)}",
                str(backup),
            ]
        )
    else:
        raise BackupError(
            f"{backup.name} is not a backup of a {dialect} catalog (.sqlite for SQLite, "
            ".pgdump for PostgreSQL)"
        )
    catalog.migrate()
