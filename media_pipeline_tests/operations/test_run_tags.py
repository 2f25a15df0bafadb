"""Who started a run and how urgent it is, from the tags Dagster and this project set."""

from __future__ import annotations

import dagster as dg
from dagster._core.storage.tags import PRIORITY_TAG

from media_pipeline.operations.run_tags import submitted_run_tags, trigger_of
from media_pipeline.runtime.tags import LIBRARY, SCAN, TRIGGER


def test_the_trigger_comes_from_our_tag_or_dagsters() -> None:
    assert trigger_of({TRIGGER: "sensor", "dagster/sensor_name": "x"}) == "sensor"
    assert trigger_of({"dagster/backfill": "abc"}) == "backfill"
    assert trigger_of({"dagster/schedule_name": "nightly"}) == "schedule"
    assert trigger_of({"dagster/sensor_name": "derived_assets_follow_scans"}) == "automation"
    assert trigger_of({}) == "ui"


def test_queued_runs_get_only_the_tags_they_lack() -> None:
    ui = submitted_run_tags({"dagster/partition": "photos"}, None)
    assert ui == {LIBRARY: "photos", SCAN: "photos", TRIGGER: "ui", PRIORITY_TAG: "10"}
    backfill = submitted_run_tags(
        {"dagster/partition": "photos", "dagster/backfill": "b1"}, {dg.AssetKey("thumbnails")}
    )
    assert backfill == {LIBRARY: "photos", TRIGGER: "backfill", PRIORITY_TAG: "-10"}
    assert submitted_run_tags({TRIGGER: "schedule", PRIORITY_TAG: "3"}, None) == {}
    # New files before the nightly rescan.
    assert int(submitted_run_tags({TRIGGER: "sensor"}, None)[PRIORITY_TAG]) > int(
        submitted_run_tags({TRIGGER: "schedule"}, None)[PRIORITY_TAG]
    )
