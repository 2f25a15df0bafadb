"""`media_catalog`: the scan of one library (Immich's "Scan Photos") as a Dagster asset.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.jobs.partitions import library_partitions
from media_pipeline.jobs.progress import format_progress
from media_pipeline.jobs.retries import retry_transient
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.scan.scanner import ScanRefused, ScanSettings, scan_library


class ScanConfig(dg.Config):
    """Settings a user may change per run in the launchpad."""

    # Files per committed batch: what a cancelled run keeps at worst.
    batch_size: int = settings.env_int("MEDIA_PIPELINE_SCAN_BATCH_SIZE", 200)
    verify_images: bool = True
    max_megapixels: int = 250


@dg.asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    kinds={"python"},
    pool="scan",
    description=(
        "Every photo and video of the library with its metadata: new, changed and moved files "
        "found by (size, mtime) then content hash; vanished files marked missing."
    ),
)
def media_catalog(
    context: dg.AssetExecutionContext, config: ScanConfig, catalog: CatalogResource
) -> dg.MaterializeResult:
    with retry_transient(context):
        store = catalog.open()
        library = store.library(context.partition_key)
        if library is None:
            raise dg.Failure(
                f"library {context.partition_key!r} is not registered in the catalog "
                f"({store.url}); add it with `media-pipeline library add`"
            )
        context.log.info(f"scanning library {library.name} at {library.root}")
        scan_settings = ScanSettings(
            batch_size=config.batch_size,
            verify=config.verify_images,
            max_pixels=config.max_megapixels * 1_000_000,
        )

        def report(done: int, total: int, elapsed: float) -> None:
            context.log.info(format_progress("scan", done, total, elapsed))

        try:
            counts = scan_library(store, library, scan_settings, progress=report)
        except ScanRefused as exc:
            raise dg.Failure(str(exc)) from exc
    context.log.info(
        f"scan of {library.name} done: {counts.new} new, {counts.changed} changed, "
        f"{counts.moved} moved, {counts.missing} missing, {counts.failed} failed"
    )
    return dg.MaterializeResult(
        metadata={
            "library": library.name,
            "root": dg.MetadataValue.path(library.root),
            **{
                name: dg.MetadataValue.float(value)
                if isinstance(value, float)
                else dg.MetadataValue.int(value)
                for name, value in counts.as_dict().items()
            },
        }
    )
