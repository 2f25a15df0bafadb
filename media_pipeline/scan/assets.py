"""`media_catalog`: the scan of one library (Immich's "Scan Photos") as a Dagster asset.

Graph-backed like the per-file stages: `media_catalog_plan` walks the library and compares it
with the catalog (pass 1, pool `scan`), writing the work list to a folder under
MEDIA_PIPELINE_HOME that every worker reads; one `media_catalog_batch` step per chunk hashes
and describes its files (pass 2); `media_catalog_collect` links Live Photos across chunks and
materializes the asset with the counts.

Dagster reads the annotations of op parameters: no `from __future__ import annotations`.
"""

import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.store import Catalog, Library
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.runtime.partitions import library_partitions
from media_pipeline.runtime.progress import format_progress
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.scan.scanner import (
    ScanChunk,
    ScanCounts,
    ScanRefused,
    ScanSettings,
    finish_scan,
    plan_scan,
    scan_chunk,
)
from media_pipeline.stages.graph import QUEUE_TAG
from media_pipeline.stages.runner import BATCH_FILES_SETTING, MAX_BATCHES

CHUNK_FILES = 10_000  # files per batch step: a few seconds to minutes of hashing


class ScanConfig(dg.Config):
    """Settings a user may change per run in the launchpad."""

    # Files per committed transaction: what a cancelled run keeps at worst.
    batch_size: int = settings.env_int("MEDIA_PIPELINE_SCAN_BATCH_SIZE", 200)
    batch_files: int = 0  # files per batch step; 0: MEDIA_PIPELINE_BATCH_FILES, else 10,000
    verify_images: bool = True
    max_megapixels: int = 250
    workers: int = 0  # describing processes; 0: one per core, 1: in the step's process

    def scan_settings(self) -> ScanSettings:
        return ScanSettings(
            batch_size=self.batch_size,
            workers=self.workers,
            verify=self.verify_images,
            max_pixels=self.max_megapixels * 1_000_000,
        )

    def files_per_batch(self, total: int) -> int:
        size = self.batch_files or settings.env_int(BATCH_FILES_SETTING, 0) or CHUNK_FILES
        return max(size, -(-total // MAX_BATCHES), 1)


def _library(context: dg.OpExecutionContext, store: Catalog) -> Library:
    library = store.library(context.partition_key)
    if library is None:
        raise dg.Failure(
            f"library {context.partition_key!r} is not registered in the catalog "
            f"({store.url}); add it with `media-pipeline library add`"
        )
    return library


def _work_folder(paths: MediaPaths, run_id: str) -> Path:
    return paths.folders().scan_work / run_id


def _clear_finished(context: dg.OpExecutionContext, paths: MediaPaths) -> None:
    """Work folders of runs that ended without their collect step (failed, terminated)."""
    for folder in (paths.folders().scan_work).glob("*"):
        run = context.instance.get_run_by_id(folder.name)
        if folder.name != context.run_id and (run is None or run.is_finished):
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Walked:
    """Pass 1's counts, and when the scan began (its seconds count from there)."""

    counts: ScanCounts
    started: float


def _metadata(counts: ScanCounts) -> dict[str, Any]:
    return {
        name: dg.MetadataValue.float(value)
        if isinstance(value, float)
        else dg.MetadataValue.int(value)
        for name, value in counts.as_dict().items()
    }


@dg.op(
    out={"chunks": dg.DynamicOut(ScanChunk), "walked": dg.Out(Walked)},
    pool="scan",
    tags={QUEUE_TAG: "cpu"},
    description="Pass 1: walks the library, marks vanished files missing, lists the work.",
)
def media_catalog_plan(
    context: dg.OpExecutionContext,
    config: ScanConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
):
    started = time.time()
    _clear_finished(context, paths)
    folder = _work_folder(paths, context.run_id)
    shutil.rmtree(folder, ignore_errors=True)  # an earlier attempt's
    folder.mkdir(parents=True)
    with retry_transient(context):
        store = catalog.open()
        library = _library(context, store)
        context.log.info(f"scanning library {library.name} at {library.root}")
        try:
            plan = plan_scan(store, library, folder)
        except ScanRefused as exc:
            raise dg.Failure(str(exc)) from exc
    chunks = plan.chunks(config.files_per_batch(plan.total))
    context.log.info(
        f"{plan.counts.seen} files seen, {plan.counts.missing} missing; "
        f"{plan.total} to hash and describe: {len(chunks)} batches"
    )
    context.log.info(format_progress("scan", 0, plan.total, 0.0))  # the scan's total
    yield dg.Output(Walked(plan.counts, started), "walked")
    for chunk in chunks:
        yield dg.DynamicOutput(chunk, output_name="chunks", mapping_key=f"b{chunk.index:04d}")


@dg.op(
    tags={QUEUE_TAG: "cpu"},
    description="Pass 2 of one chunk: hashes, finds moves, describes and commits its files.",
)
def media_catalog_batch(
    context: dg.OpExecutionContext,
    config: ScanConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
    chunk: ScanChunk,
) -> ScanCounts:
    def report(done: int, total: int, elapsed: float) -> None:
        context.log.info(format_progress("scan", done, total, elapsed))

    with retry_transient(context):
        store = catalog.open()
        library = _library(context, store)
        folder = _work_folder(paths, context.run_id)
        return scan_chunk(store, library, config.scan_settings(), folder, chunk, report)


@dg.op(
    tags={QUEUE_TAG: "cpu"},
    description="Links Live Photos across the chunks and adds up the scan's counts.",
)
def media_catalog_collect(
    context: dg.OpExecutionContext,
    catalog: CatalogResource,
    paths: MediaPaths,
    walked: Walked,
    parts: list[ScanCounts],
) -> dg.MaterializeResult:
    counts = replace(walked.counts)
    for part in parts:
        counts.add(part)
    with retry_transient(context):
        store = catalog.open()
        library = _library(context, store)
        finish_scan(store, library)
    shutil.rmtree(_work_folder(paths, context.run_id), ignore_errors=True)
    counts.seconds = time.time() - walked.started
    context.log.info(
        f"scan of {library.name} done: {counts.new} new, {counts.changed} changed, "
        f"{counts.moved} moved, {counts.missing} missing, {counts.failed} failed"
    )
    return dg.MaterializeResult(
        metadata={
            "library": library.name,
            "root": dg.MetadataValue.path(library.root),
            **_metadata(counts),
            "batches": len(parts),
        }
    )


def _to_ops(config: dict[str, Any]) -> dict[str, Any]:
    return {f"media_catalog_{op}": {"config": config} for op in ("plan", "batch")}


@dg.graph_asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    kinds={"python"},
    config=dg.ConfigMapping(config_fn=_to_ops, config_schema=ScanConfig.to_config_schema()),
    description=(
        "Every photo and video of the library with its metadata: new, changed and moved files "
        "found by (size, mtime) then content hash; vanished files marked missing."
    ),
)
def media_catalog():
    chunks, walked = media_catalog_plan()
    return media_catalog_collect(walked, chunks.map(media_catalog_batch).collect())
