"""The embedded default's event log keeps its connections, on Dagster's files and SQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

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
