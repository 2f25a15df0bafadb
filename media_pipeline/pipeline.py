"""The main job: every per-library asset, for one library partition at a time."""

import dagster as dg

LIBRARY_GROUP = "library"

library_pipeline = dg.define_asset_job(
    "library_pipeline",
    selection=dg.AssetSelection.groups(LIBRARY_GROUP),
    description="Everything a library needs, in lineage order: scan, then what derives from it.",
)
