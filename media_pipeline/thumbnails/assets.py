"""`thumbnails`: previews and thumbnails of every present file of one library.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

import dagster as dg
from sqlalchemy import ColumnElement

from media_pipeline.catalog.pending import PendingContent
from media_pipeline.catalog.store import Catalog
from media_pipeline.catalog.thumbnails import STAGE, Derivatives, current, save_derivatives
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.runtime.partitions import library_partitions
from media_pipeline.scan.assets import media_catalog
from media_pipeline.settings import available_cores
from media_pipeline.stages.graph import run_stage, stage_config
from media_pipeline.stages.pool import work_many
from media_pipeline.stages.runner import BatchConfig, Made, Stage, StageWork
from media_pipeline.thumbnails.render import Rendered, RenderSettings
from media_pipeline.thumbnails.storage import derivative_paths, write_atomically

RENDERER = "media_pipeline.thumbnails.render:render"


class ThumbnailConfig(BatchConfig):
    """Render settings. Changing a size or a quality re-renders every derivative made with the
    old value; the pixel limit only decides which originals are refused."""

    workers: int = 0  # processes; 0 = one per core
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


class _Rendering(StageWork):
    def __init__(self, store: Catalog, home: Path, library_root, config: ThumbnailConfig):
        self.store, self.home, self.absolute = store, home, library_root
        self.settings = config.render_settings()
        self.workers = config.workers or available_cores()
        self.info = {"workers": self.workers, "settings": self.settings.fingerprint()}

    def results(self, items: Iterator[PendingContent]) -> Iterator[tuple[PendingContent, object]]:
        jobs = ((item, self.absolute(item.rel_path)) for item in items)
        with closing(work_many(jobs, self.settings, self.workers, RENDERER)) as results:
            for pending, result in results:
                if not isinstance(result, Rendered):
                    yield pending, result
                    continue
                made = _store(self.home, pending, result)
                size = made.preview_bytes + made.thumbnail_bytes
                yield pending, Made(made, {"bytes_written": size}, [made.thumbnail_path])

    def save(self, rows: Sequence[Derivatives]) -> None:
        save_derivatives(self.store, self.info["settings"], rows)


class Thumbnails(Stage[ThumbnailConfig]):
    name = "thumbnails"
    ledger = STAGE
    progress = "thumbnails"
    config = ThumbnailConfig
    done_key = "rendered"
    batch_files = 2000  # ~2 minutes on 2 cores at today's 18 photos/s
    pause_pool = "render"  # no pool (its batches spread over every worker); paused by `scan`
    sheet = ("new_thumbnails", 18)
    counters = ("bytes_written",)

    def done(self, config: ThumbnailConfig, paths: MediaPaths) -> ColumnElement[bool]:
        return current(config.render_settings().fingerprint())

    def open(self, context, config, paths, store) -> StageWork:
        library = store.library(context.partition_key)
        return _Rendering(store, paths.root(), library.absolute, config)


THUMBNAILS = Thumbnails()


@dg.graph_asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    ins={"media_catalog": dg.AssetIn(media_catalog.key, dagster_type=dg.Nothing)},
    config=stage_config(THUMBNAILS),
    kinds={"python", "jpeg", "webp"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "A 1440 px JPEG preview and a 250 px WebP thumbnail of every present photo and video: "
        "orientation applied, sRGB, metadata (GPS!) stripped; content-addressed, so moved and "
        "copied files are never rendered again."
    ),
)
def thumbnails(media_catalog):
    return run_stage(THUMBNAILS, media_catalog)
