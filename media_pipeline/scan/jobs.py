"""The scan job: what sensors, schedules and `media-pipeline run` launch for one library."""

import dagster as dg

scan_job = dg.define_asset_job(
    "scan_library",
    selection=dg.AssetSelection.assets("media_catalog"),
    description="Scan Photos: find new, changed, moved and missing files of one library.",
)
