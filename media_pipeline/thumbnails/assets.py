"""`thumbnails`: previews and thumbnails of every present file of one library.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import time
from contextlib import closing
from pathlib import Path

import dagster as dg

from media_pipeline.catalog.pending import PendingContent, count_pending, iter_pending
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.stage_batch import StageBatch
from media_pipeline.catalog.thumbnails import STAGE, Derivatives, current, save_derivatives
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.jobs.partitions import library_partitions, partition_library
from media_pipeline.jobs.progress import format_progress
from media_pipeline.jobs.retries import retry_transient
from media_pipeline.metadata.errors import read_failure
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.scan.assets import media_catalog
from media_pipeline.settings import available_cores
from media_pipeline.thumbnails.pool import render_many
from media_pipeline.thumbnails.render import Rendered, RenderSettings
from media_pipeline.thumbnails.storage import derivative_paths, write_atomically

SHEET_SIZE = 18


class ThumbnailConfig(dg.Config):
    """Render settings. Changing a size or a quality re-renders every derivative made with the
    old value; the pixel limit only decides which originals are refused."""

    workers: int = 0  # processes; 0 = one per core
    batch_size: int = 50
    preview_size: int = 1440
    preview_quality: int = 80
    thumbnail_size: int = 250
    thumbnail_quality: int = 80
    max_megapixels: int = 250

    def render_settings(self) -> RenderSettings:
        return RenderSettings(
            preview_size=self.preview_size,
            preview_quality=self.preview_quality,
            thumbnail_size=self.thumbnail_size,
            thumbnail_quality=self.thumbnail_quality,
            max_pixels=self.max_megapixels * 1_000_000,
        )


def _store(home: Path, pending: PendingContent, rendered: Rendered) -> Derivatives:
    preview_path, thumbnail_path = derivative_paths(pending.content_hash)
    write_atomically(home, preview_path, rendered.preview)
    write_atomically(home, thumbnail_path, rendered.thumbnail)
    return Derivatives(
        pending.content_hash,
        preview_path,
        rendered.preview_size,
        len(rendered.preview),
        thumbnail_path,
        rendered.thumbnail_size,
        len(rendered.thumbnail),
    )


@dg.asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    deps=[media_catalog],
    kinds={"python", "jpeg", "webp"},
    pool="render",
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "A 1440 px JPEG preview and a 250 px WebP thumbnail of every present photo and video: "
        "orientation applied, sRGB, metadata (GPS!) stripped; content-addressed, so moved and "
        "copied files are never rendered again."
    ),
)
def thumbnails(
    context: dg.AssetExecutionContext,
    config: ThumbnailConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    render_settings = config.render_settings()
    fingerprint = render_settings.fingerprint()
    workers = config.workers or available_cores()
    home = paths.root()
    with retry_transient(context):
        store = catalog.open()
        library = partition_library(context, store)
        done = current(fingerprint)
        total = count_pending(store, library, STAGE, done)
        context.log.info(f"{total} files of {library.name} need rendering, {workers} workers")
        batch = StageBatch(
            store, library, STAGE, lambda made: save_derivatives(store, fingerprint, made),
            config.batch_size,
        )  # fmt: skip
        made = failed = written = 0
        sample: list[Path] = []
        started = last_report = time.monotonic()
        jobs = (
            (pending, library.absolute(pending.rel_path))
            for pending in iter_pending(store, library, STAGE, done)
        )
        try:
            with closing(render_many(jobs, render_settings, workers)) as results:
                for pending, result in results:
                    if isinstance(result, Rendered):
                        derived = _store(home, pending, result)
                        batch.done(pending, derived)
                        made += 1
                        written += derived.preview_bytes + derived.thumbnail_bytes
                        if len(sample) < SHEET_SIZE:
                            sample.append(home / derived.thumbnail_path)
                    else:
                        failed += 1
                        batch.failed(
                            pending,
                            read_failure(result) if isinstance(result, OSError) else str(result),
                        )
                    now = time.monotonic()
                    if now - last_report >= 2.0:
                        done_count = made + failed
                        context.log.info(
                            format_progress("thumbnails", done_count, total, now - started)
                        )
                        last_report = now
        finally:
            batch.flush()
    seconds = time.monotonic() - started
    context.log.info(f"thumbnails of {library.name}: {made} rendered, {failed} failed")
    metadata: dict[str, dg.RawMetadataValue] = {
        "library": library.name,
        "rendered": made,
        "failed": failed,
        "pending_before": total,
        "bytes_written": written,
        "seconds": round(seconds, 3),
        "images_per_second": round(made / seconds, 2) if seconds > 0 else 0.0,
        "workers": workers,
        "settings": fingerprint,
    }
    sheet = contact_sheet(sample)
    if sheet is not None:
        metadata["new_thumbnails"] = dg.MetadataValue.md(
            markdown_image(sheet, f"{len(sample)} new thumbnails of {library.name}")
        )
    return dg.MaterializeResult(metadata=metadata)
