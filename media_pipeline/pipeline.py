"""The code location's asset jobs: the whole library pipeline, its scan alone, the collections
and the models, each for one library partition at a time where partitioned."""

import dagster as dg

from media_pipeline.runtime.tags import TRIGGER

LIBRARY_GROUP = "library"
COLLECTION_GROUP = "collections"
MODELS_GROUP = "ml_models"

models_pipeline = dg.define_asset_job(
    "models_pipeline",
    selection=dg.AssetSelection.groups(MODELS_GROUP),
    description="Download Models: what the ML assets load, fetched once and checksummed.",
)

library_pipeline = dg.define_asset_job(
    "library_pipeline",
    selection=dg.AssetSelection.groups(LIBRARY_GROUP),
    description="Everything a library needs, in lineage order: scan, then what derives from it.",
)

scan_job = dg.define_asset_job(
    "scan_library",
    selection=dg.AssetSelection.assets("media_catalog"),
    description="Scan Photos: find new, changed, moved and missing files of one library.",
)

collection_pipeline = dg.define_asset_job(
    "collection_pipeline",
    selection=dg.AssetSelection.groups(COLLECTION_GROUP),
    description="What spans every library (auto-albums and their titles), in lineage order.",
)

# Sensors and schedules launch `library_pipeline`, which derives in the same run what a scan
# found. Derived assets also declare AutomationCondition.eager() for scans started alone (the
# UI's "Materialize" on media_catalog, `scan_library`): this sensor then requests the same
# partition of what depends on them. On by default, as Immich queues thumbnails after a scan.
# (Eager alone is not enough after a sensor scan: a derived run already in flight when a new
# scan lands counts as handling it, and the new files would wait for the next scan.)
follow_scans = dg.AutomationConditionSensorDefinition(
    "derived_assets_follow_scans",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    run_tags={TRIGGER: "automation"},
    description="Materializes derived assets of a library after its scan (eager conditions).",
)
