"""The tags every run of this code location carries, however it was started: library, trigger,
priority, and the repository label that puts a run on its job's page in the UI.

The UI's Jobs pages list runs by job name and the `.dagster/repository` tag, which Dagster only
sets on runs launched through a code location (webserver, daemon); runs the CLI executes in its
own process get it here. Priority is Dagster's `dagster/priority` tag: the queue starts higher
values first, and steps waiting for a pool slot get it in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from dagster import AssetKey
from dagster._core.storage.tags import PRIORITY_TAG, REPOSITORY_LABEL_TAG

from media_pipeline.runtime.tags import LIBRARY, SCAN, TRIGGER, library_run_tags

LOCATION = "media_pipeline"  # workspace.yaml's location_name and [tool.dagster] in pyproject
REPOSITORY = "__repository__"  # the repository of a Definitions object
REPOSITORY_LABEL = f"{REPOSITORY}@{LOCATION}"
PARTITION_TAG = "dagster/partition"
SCAN_ASSET = AssetKey("media_catalog")

# New files first: what the change sensor, the CLI, the UI and the follow-up of a scan start
# goes before the nightly rescan, and backfills go last.
PRIORITIES = {
    "sensor": 10,
    "cli": 10,
    "ui": 10,
    "automation": 5,
    "schedule": 0,
    "interval": 0,
    "backfill": -10,
}


def trigger_of(tags: Mapping[str, str]) -> str:
    """Who started a run, from our tag or else from the tags Dagster sets."""
    if tags.get(TRIGGER):
        return tags[TRIGGER]
    if tags.get("dagster/backfill"):
        return "backfill"
    if tags.get("dagster/schedule_name"):
        return "schedule"
    if tags.get("dagster/sensor_name") or tags.get("dagster/auto_materialize"):
        return "automation"
    return "ui"


def submitted_run_tags(
    tags: Mapping[str, str], asset_selection: AbstractSet[AssetKey] | None
) -> dict[str, str]:
    """The tags a run submitted to the queue lacks (nothing it already has is replaced). A run
    of a library that scans (its whole job, or a selection with the scan) gets the tag the
    queue's one-scan-per-library limit keys on."""
    trigger = trigger_of(tags)
    added = {TRIGGER: trigger, PRIORITY_TAG: str(PRIORITIES.get(trigger, 0))}
    library = tags.get(PARTITION_TAG)
    if library:
        added[LIBRARY] = library
        if asset_selection is None or SCAN_ASSET in asset_selection:
            added[SCAN] = library
    return {key: value for key, value in added.items() if not tags.get(key)}


def cli_run_tags(library: str | None, priority: int | None = None) -> dict[str, str]:
    """Tags of a run the CLI executes in its own process."""
    tags = library_run_tags(library, "cli") if library else {TRIGGER: "cli"}
    tags[REPOSITORY_LABEL_TAG] = REPOSITORY_LABEL
    tags[PRIORITY_TAG] = str(PRIORITIES["cli"] if priority is None else priority)
    return tags
