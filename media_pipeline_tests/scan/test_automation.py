"""The change sensor and the schedules, evaluated with Dagster's test APIs on a real instance."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline.definitions import defs
from media_pipeline.runtime.tags import LIBRARY, SCAN, TRIGGER
from media_pipeline.scan.schedules import nightly_library_scan, periodic_library_scan
from media_pipeline.scan.sensors import library_change_sensor
from media_pipeline_tests.images import make_jpeg


def _tick(instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"catalog": defs.resources["catalog"]}
    )
    return library_change_sensor(context)


def test_sensor_requests_a_scan_only_for_the_library_that_changed(instance, tmp_path: Path):
    catalog = open_catalog(settings.database_url())
    for name in ("home", "phone"):
        make_jpeg(tmp_path / "libraries" / name / "a.jpg")
        catalog.add_library(name, str(tmp_path / "libraries" / name))

    first = _tick(instance, None)
    assert sorted(r.partition_key for r in first.run_requests) == ["home", "phone"]
    assert first.run_requests[0].tags[TRIGGER] == "sensor"
    assert first.run_requests[0].tags[SCAN] == first.run_requests[0].tags[LIBRARY]
    [add] = first.dynamic_partitions_requests
    assert sorted(add.partition_keys) == ["home", "phone"]
    instance.add_dynamic_partitions("libraries", ["home", "phone"])

    quiet = _tick(instance, first.cursor)
    assert quiet.run_requests == [] and quiet.dynamic_partitions_requests == []

    make_jpeg(tmp_path / "libraries" / "phone" / "DCIM" / "new.jpg")
    changed = _tick(instance, quiet.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["phone"]
    assert json.loads(changed.cursor)["home"] == json.loads(quiet.cursor)["home"]


def test_sensor_keeps_partitions_in_step_and_tolerates_unmounted_folders(instance, tmp_path):
    catalog = open_catalog(settings.database_url())
    catalog.add_library("nas", str(tmp_path / "nas-mount"))
    instance.add_dynamic_partitions("libraries", ["nas", "removed-library"])
    result = _tick(instance, json.dumps({"nas": "abc"}))
    assert result.run_requests == []  # folder unavailable: no scan that would mark all missing
    [delete] = result.dynamic_partitions_requests
    assert list(delete.partition_keys) == ["removed-library"]
    assert json.loads(result.cursor) == {"nas": "abc"}


def test_schedules_scan_every_library(instance, tmp_path: Path) -> None:
    catalog = open_catalog(settings.database_url())
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        catalog.add_library(name, str(tmp_path / name))
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 24),
        resources={"catalog": defs.resources["catalog"]},
    )
    nightly = list(nightly_library_scan(context))
    assert [(r.partition_key, r.tags[TRIGGER]) for r in nightly] == [
        ("a", "schedule"),
        ("b", "schedule"),
    ]
    assert nightly_library_scan.cron_schedule == "0 0 * * *"
    assert nightly_library_scan.default_status == dg.DefaultScheduleStatus.RUNNING
    assert periodic_library_scan.default_status == dg.DefaultScheduleStatus.STOPPED
    assert library_change_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    interval = list(periodic_library_scan(context))
    assert {r.tags[TRIGGER] for r in interval} == {"interval"}


def test_definitions_load_with_lineage_and_jobs(instance) -> None:
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("library_pipeline")
    assert dg.AssetKey("media_catalog") in job.asset_layer.executable_asset_keys
    assert defs.resolve_job_def("scan_library").partitions_def.name == "libraries"
