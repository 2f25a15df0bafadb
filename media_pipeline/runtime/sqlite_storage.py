"""The embedded default's Dagster storage: Dagster's own SQLite storage (the same files under
DAGSTER_HOME, so an instance made before keeps its history), with the event log's
connections kept open.

Dagster's ``SqliteEventLogStorage`` makes a new SQLAlchemy engine and a new connection for
every event it writes or reads, and closing the last connection of a WAL database checkpoints
it: about 3 ms an event on the 2-core development machine, for the ~170 events of a no-op
`media-pipeline run` (and an asset event is written twice: its run's database and the index).
``KeptSqliteEventLogStorage`` keeps one engine for each of the last few databases it used (a
run's and the index), each with its connection open between events; the SQL, the files and
the locking between processes are Dagster's. PostgreSQL (deploy/postgres) pools connections
itself and is not affected.

A run's new database is a copy of an empty one made once per Dagster version (the template):
making it through Dagster's ``_initdb`` loads Alembic's revisions, creates the tables and
stamps the revision, 0.2 s of the first run in every process (each `media-pipeline run` and
each run the daemon launches).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import __version__ as dagster_version
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

KEPT_DATABASES = 4  # the index and the runs being written or watched
# Not "*.db": Dagster takes every *.db in the folder for a run's database.
TEMPLATE_PREFIX, TEMPLATE_SUFFIX = ".run-template-", ".sqlite"


class KeptSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log, its connections kept between events."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # least recently used first
        super().__init__(base_dir, inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:  # one connection in use at a time, as in Dagster's
            if shard not in self._initialized_dbs and self._copy_template(shard):
                self._initialized_dbs.add(shard)
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _copy_template(self, shard: str) -> bool:
        """Make a run's missing database as a copy of the template; False when it exists (or
        appeared meanwhile) or the template cannot be had: Dagster's ``_initdb`` then checks
        or makes it, as it handles databases that other processes make at the same time."""
        target = self.path_for_shard(shard)
        if shard == INDEX_SHARD_NAME or os.path.exists(target):
            return False
        template = self._template()
        if template is None:
            return False
        fd, partial = tempfile.mkstemp(prefix=".shard-", dir=self._base_dir)
        os.close(fd)
        try:
            shutil.copyfile(template, partial)
            os.link(partial, target)  # whole or not at all; never over another's database
        except FileExistsError:
            return False
        finally:
            os.unlink(partial)
        return True

    def _template(self) -> str | None:
        """The empty run database of this Dagster version, made by Dagster's ``_initdb``
        on first use (older versions' templates are removed then)."""
        name = f"{TEMPLATE_PREFIX}{dagster_version}{TEMPLATE_SUFFIX}"
        template = os.path.join(self._base_dir, name)
        if os.path.exists(template):
            return template
        os.makedirs(self._base_dir, exist_ok=True)
        fd, partial = tempfile.mkstemp(prefix=".template-", dir=self._base_dir)
        os.close(fd)
        os.unlink(partial)  # SQLite makes the file itself
        engine = create_engine(f"sqlite:///{partial}", poolclass=NullPool)
        try:
            self._initdb(engine)
        finally:
            engine.dispose()  # the last connection's close checkpoints the WAL into the file
        if os.path.exists(f"{partial}-wal"):  # not checkpointed: do without a template
            for leftover in (partial, f"{partial}-wal", f"{partial}-shm"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
            return None
        os.replace(partial, template)
        for entry in os.scandir(self._base_dir):
            old = entry.name.startswith(TEMPLATE_PREFIX) and entry.name.endswith(TEMPLATE_SUFFIX)
            if old and entry.name != name:
                os.unlink(entry.path)
        return template

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=2,  # _initdb's inspection opens its own while one is out
                # Used by one thread at a time (under _db_lock), from whichever thread has it:
                # the event log watcher's as well as the caller's.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _commit_without_fsync)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self._close_all()  # the run databases' files are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


def _commit_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """WAL with ``synchronous=NORMAL``: a commit no longer waits for the disk (1.6 ms on the
    development machine, for each of the ~170 events of a no-op run); the WAL is synced at
    each checkpoint. A crash of the process loses nothing; a power cut may lose the last
    events, never the database (SQLite's documentation), as for the catalog (catalog/store)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class EmbeddedSqliteStorage(DagsterSqliteStorage):
    """``DagsterSqliteStorage`` (runs, schedules and event logs under ``base_dir``, the
    instance's folder) with ``KeptSqliteEventLogStorage`` for the event logs. dagster.yaml:
    ``storage: {custom: {module: media_pipeline.runtime.sqlite_storage, class:
    EmbeddedSqliteStorage, config: {base_dir: {env: DAGSTER_HOME}}}}``."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)  # its event log holds no connection: replaced
        self._event_log_storage = KeptSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData, config_value: dict
    ) -> EmbeddedSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
