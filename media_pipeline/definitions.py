"""The code location: only assembles what the domain packages define."""

import dagster as dg

from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.pipeline import library_pipeline
from media_pipeline.scan.assets import media_catalog
from media_pipeline.scan.jobs import scan_job
from media_pipeline.scan.schedules import nightly_library_scan, periodic_library_scan
from media_pipeline.scan.sensors import library_change_sensor

defs = dg.Definitions(
    assets=[media_catalog],
    jobs=[library_pipeline, scan_job],
    sensors=[library_change_sensor],
    schedules=[nightly_library_scan, periodic_library_scan],
    resources={"catalog": CatalogResource()},
)
