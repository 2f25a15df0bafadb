"""The embedded default's event log keeps its connections, on Dagster's files and SQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy import create_engine

from media_pipeline.runtime.sqlite_storage import KEPT_DATABASES, KeptSqliteEventLogStorage


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


def _materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([counted], instance=instance)
    assert result.success
    return result.run_id


def test_the_instance_keeps_dagster_s_layout_and_reads_back_with_dagster_s_own_storage(
    instance: dg.DagsterInstance, home: Path
) -> None:
    assert isinstance(instance.event_log_storage, KeptSqliteEventLogStorage)
    run_id = _materialize(instance)
    history = home / "dagster" / "history"
    assert (history / "runs.db").is_file()
    assert (history / "runs" / f"{run_id}.db").is_file()
    assert (history / "runs" / "index.db").is_file()

    stock = SqliteEventLogStorage(str(history / "runs"))  # what an older install reads
    records = stock.get_records_for_run(run_id).records
    types = {record.event_log_entry.dagster_event_type for record in records}
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in types
    latest = stock.get_latest_materialization_events([counted.key])[counted.key]
    assert latest is not None and latest.run_id == run_id
    stock.dispose()


def test_another_process_sees_each_event_while_the_connections_stay_open(
    instance: dg.DagsterInstance, home: Path
) -> None:
    first = _materialize(instance)
    second = _materialize(instance)  # written through connections kept from the first run
    reader = (
        "import sys, dagster as dg\n"
        "instance = dg.DagsterInstance.get()\n"
        "key = dg.AssetKey('counted')\n"
        "print(instance.get_latest_materialization_event(key).run_id)\n"
        "print(len(instance.get_records_for_run(sys.argv[1]).records))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", reader, first], capture_output=True, text=True, check=True
    )
    latest, first_events = done.stdout.split()
    assert latest == second
    assert int(first_events) == len(instance.get_records_for_run(first).records) > 5


def test_only_the_last_databases_stay_open_and_a_wipe_closes_them(
    instance: dg.DagsterInstance, home: Path
) -> None:
    storage = instance.event_log_storage
    assert isinstance(storage, KeptSqliteEventLogStorage)
    runs = [_materialize(instance) for _ in range(KEPT_DATABASES + 1)]
    assert len(storage._engines) == KEPT_DATABASES
    assert "index" in storage._engines and runs[-1] in storage._engines
    assert runs[0] not in storage._engines
    assert len(instance.get_records_for_run(runs[0]).records) > 5  # opened again on demand

    storage.wipe()
    assert set(storage._engines) <= {"index"}  # the wipe empties the index through it
    assert not list((home / "dagster" / "history" / "runs").glob("*-*.db"))
    assert _materialize(instance)  # a new run after the wipe writes its new database


def test_event_commits_do_not_wait_for_the_disk_in_wal_mode(
    instance: dg.DagsterInstance, home: Path
) -> None:
    storage = instance.event_log_storage
    assert isinstance(storage, KeptSqliteEventLogStorage)
    run_id = _materialize(instance)
    for shard in ("index", run_id):
        with storage._connect(shard) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def _schema(database: Path) -> tuple[list, list]:
    with sqlite3.connect(database) as conn:
        tables = sorted(conn.execute("SELECT type, name, sql FROM sqlite_master"))
        return tables, conn.execute("SELECT version_num FROM alembic_version").fetchall()


def test_a_run_s_database_is_a_copy_of_the_one_dagster_makes(
    instance: dg.DagsterInstance, home: Path, tmp_path: Path
) -> None:
    runs = home / "dagster" / "history" / "runs"
    first, second = _materialize(instance), _materialize(instance)
    (template,) = runs.glob(".run-template-*.sqlite")
    assert template.name == f".run-template-{dg.__version__}.sqlite"

    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    engine = create_engine(stock.conn_string_for_shard("made"))
    stock._initdb(engine)  # what Dagster's own storage makes for a new run
    engine.dispose()
    made = _schema(tmp_path / "stock" / "made.db")
    assert made[1]  # stamped with Alembic's head
    assert _schema(runs / f"{first}.db") == _schema(runs / f"{second}.db") == made
    with sqlite3.connect(runs / f"{second}.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert set(instance.event_log_storage.get_all_run_ids()) == {first, second}
    assert not list(runs.glob(".shard-*")) and not list(runs.glob(".template-*"))


def test_another_dagster_version_s_template_gives_way(
    instance: dg.DagsterInstance, home: Path
) -> None:
    runs = home / "dagster" / "history" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    older = runs / ".run-template-0.0.1.sqlite"
    older.write_bytes(b"not this version's tables")
    run_id = _materialize(instance)
    assert [path.name for path in runs.glob(".run-template-*")] == [
        f".run-template-{dg.__version__}.sqlite"
    ]
    assert len(instance.get_records_for_run(run_id).records) > 5
