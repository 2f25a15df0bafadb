"""The main job: every per-library asset, for one library partition at a time."""

import dagster as dg

LIBRARY_GROUP = "library"
COLLECTION_GROUP = "collections"

library_pipeline = dg.define_asset_job(
    "library_pipeline",
    selection=dg.AssetSelection.groups(LIBRARY_GROUP),
    description="Everything a library needs, in lineage order: scan, then what derives from it.",
)

collection_pipeline = dg.define_asset_job(
    "collection_pipeline",
    selection=dg.AssetSelection.groups(COLLECTION_GROUP),
    description="What spans every library (auto-albums and their titles), in lineage order.",
)

# Derived assets (thumbnails, …) declare AutomationCondition.eager(): when a scan materializes
# a library partition, this sensor requests the same partition of what depends on it. On by
# default, as Immich queues thumbnails after every scan.
follow_scans = dg.AutomationConditionSensorDefinition(
    "derived_assets_follow_scans",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Materializes derived assets of a library after its scan (eager conditions).",
)
