"""The queue's limits for runs the CLI executes itself: one scan per library at a time.

Runs the daemon launches wait in Dagster's queue (`dagster.yaml`, tag `media_pipeline/scan`),
which counts CLI runs as they carry the same tag. Runs of the CLI never pass that queue, so
`scan_slot` gives them the same rule: a lock per library in the catalog's database (an
advisory lock on PostgreSQL, so CLIs on several machines take turns; a file lock beside the
SQLite catalog), then a wait while a daemon-launched run of the library is in progress.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from sqlalchemy import text

from media_pipeline.catalog.store import Catalog
from media_pipeline.runtime import tags
from media_pipeline.runtime.reaper import ACTIVE, reap_dead_runs

POLL_SECONDS = 1.0


@contextmanager
def _postgres_lock(catalog: Catalog, key: str, on_wait: Callable[[], None]) -> Iterator[None]:
    with catalog.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        taken = conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key})
        if not taken.scalar():
            on_wait()
            conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": key})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})


@contextmanager
def _file_lock(path: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _others_in_progress(instance: dg.DagsterInstance, library: str) -> list[str]:
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=ACTIVE, tags={tags.SCAN: library})
    )
    return [record.dagster_run.run_id for record in records]


@contextmanager
def scan_slot(
    instance: dg.DagsterInstance,
    catalog: Catalog,
    library: str,
    on_wait: Callable[[str], None],
) -> Iterator[None]:
    """Hold the library's scan slot: returns once no other run of it is in progress (dead
    runs are reaped while waiting, so a crash never blocks the library)."""
    key = f"media_pipeline/scan:{library}"
    told = []

    def waiting(what: str) -> None:
        if not told:
            on_wait(what)
            told.append(what)

    url = catalog.engine.url
    if url.get_backend_name() == "postgresql":
        lock = _postgres_lock(catalog, key, lambda: waiting("another CLI run"))
    else:
        folder = Path(url.database).parent if url.database else Path(".")
        lock = _file_lock(
            folder / "locks" / f"scan-{library}.lock", lambda: waiting("another CLI run")
        )
    with lock:
        while True:
            reap_dead_runs(instance)
            others = _others_in_progress(instance, library)
            if not others:
                break
            waiting(f"run {others[0]}")
            time.sleep(POLL_SECONDS)
        yield
