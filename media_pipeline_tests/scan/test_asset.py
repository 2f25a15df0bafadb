"""`media_catalog` materialized on a real Dagster instance."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy.exc import OperationalError

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline.definitions import defs
from media_pipeline.runtime import retries
from media_pipeline.scan import assets
from media_pipeline_tests.images import make_jpeg


@pytest.fixture
def registered(instance, tmp_path: Path) -> str:
    make_jpeg(tmp_path / "lib" / "a.jpg")
    open_catalog(settings.database_url()).add_library("lib", str(tmp_path / "lib"))
    instance.add_dynamic_partitions("libraries", ["lib"])
    return "lib"


def _materialize(instance, partition: str) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("scan_library")
    return job.execute_in_process(instance=instance, partition_key=partition, raise_on_error=False)


def test_a_locked_database_is_retried_with_backoff(instance, registered, monkeypatch) -> None:
    real_scan = assets.plan_scan
    calls = []

    def locked_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("UPDATE libraries", {}, Exception("database is locked"))
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(assets, "plan_scan", locked_once)
    monkeypatch.setattr(retries, "BASE_DELAY_SECONDS", 0.05)
    result = _materialize(instance, registered)
    assert result.success and len(calls) == 2
    events = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
    ).records
    assert len(events) == 1


def test_programming_errors_and_refusals_are_not_retried(instance, registered, tmp_path) -> None:
    assert _materialize(instance, registered).success
    (tmp_path / "lib" / "a.jpg").unlink()  # the folder is now empty: looks unmounted
    result = _materialize(instance, registered)
    assert not result.success
    failures = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records
    [failure] = failures
    message = failure.event_log_entry.dagster_event.step_failure_data.error.message
    assert "is the drive mounted" in message
    retried = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
    ).records
    assert retried == []


def test_an_unknown_library_partition_fails_clearly(instance) -> None:
    instance.add_dynamic_partitions("libraries", ["ghost"])
    result = _materialize(instance, "ghost")
    assert not result.success
    [failure] = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records
    message = failure.event_log_entry.dagster_event.step_failure_data.error.message
    assert "not registered" in message
