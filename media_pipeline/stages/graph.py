"""A stage as a graph-backed asset: plan → one batch step per batch → collect.

``run_stage(stage, *upstream)`` is the body of a stage's ``@dg.graph_asset``; with
``stage_config(stage)`` as its ``config``, the run config stays what it was when the stage
was one step (``ops: {thumbnails: {config: {...}}}``) and reaches both the plan and the batch
steps. The UI's run page shows one bar per batch (``<asset>_batch[b0003]``) with its host, and
every executor can spread the batch steps: in process, multiprocess, Celery workers.

Dagster reads the annotations of op parameters: no `from __future__ import annotations`.
"""

from functools import cache
from typing import Any

import dagster as dg

from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.paths import MediaPaths
from media_pipeline.runtime.partitions import partition_library
from media_pipeline.runtime.progress import format_progress
from media_pipeline.runtime.reaper import runs_here
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.stages.runner import (
    Batch,
    BatchSummary,
    Stage,
    collect_metadata,
    output_metadata,
    plan_batches,
    redelivered,
    run_batch,
    with_earlier_attempts,
)

QUEUE_TAG = "dagster-celery/queue"  # dagster-celery routes a step by this tag
PRIORITY_TAG = "dagster/priority"  # Dagster runs the ready steps of a run highest first


def _priority_tags(priority: int) -> dict[str, str]:
    """A stage's step priority, for the executors in one process or on one machine. The Celery
    engine orders by its own tag instead (and warns about Dagster's alone): that one keeps
    dagster-celery's default, 5, so work on the workers goes as before."""
    if not priority:
        return {}
    return {PRIORITY_TAG: str(priority), "dagster-celery/priority": "5"}


def stage_config(stage: Stage) -> dg.ConfigMapping:
    """The asset's run config, handed to its plan and batch steps alike."""

    def to_ops(config: dict[str, Any]) -> dict[str, Any]:
        return {f"{stage.name}_{op}": {"config": config} for op in ("plan", "batch", "collect")}

    return dg.ConfigMapping(config_fn=to_ops, config_schema=stage.config.to_config_schema())


@cache
def stage_ops(stage: Stage) -> tuple[dg.OpDefinition, dg.OpDefinition, dg.OpDefinition]:
    """The stage's three ops (made once per stage: a graph may not hold two of one name)."""
    Config = stage.config
    tags = {QUEUE_TAG: stage.queue}

    @dg.op(
        name=f"{stage.name}_plan",
        ins={"start": dg.In(dg.Nothing)},
        out=dg.DynamicOut(Batch),
        tags=tags,
        description=f"Splits what {stage.name} has pending into batches of content hashes.",
    )
    def plan(
        context: dg.OpExecutionContext, config: Config, catalog: CatalogResource, paths: MediaPaths
    ):
        reason = stage.skip()
        if reason is not None:
            context.log.info(f"{stage.name} does nothing: {reason}")
            return
        with retry_transient(context):
            store = catalog.open()
            library = partition_library(context, store)
            total, batches = plan_batches(store, library, stage, config, paths)
        context.log.info(
            f"{total} files of {library.name} pending for {stage.name}: {len(batches)} batches"
        )
        context.log.info(format_progress(stage.progress, 0, total, 0.0))  # the stage's total
        if batches and runs_here(context.run):  # what loads here is for later steps
            started = stage.warm_up(config, paths)
            if started:
                context.log.info(f"{stage.name}: {started}")
        for batch in batches:
            yield dg.DynamicOutput(batch, mapping_key=f"b{batch.index:04d}")

    @dg.op(
        name=f"{stage.name}_batch",
        tags={**tags, **_priority_tags(stage.priority)},
        pool=stage.pool,
        description=f"One batch of {stage.name}: what is still pending in its range.",
    )
    def batch(
        context: dg.OpExecutionContext,
        config: Config,
        catalog: CatalogResource,
        paths: MediaPaths,
        batch: Batch,
    ) -> dg.Output[BatchSummary]:
        with retry_transient(context):
            store = catalog.open()
            library = partition_library(context, store)
            summary = run_batch(context, stage, config, paths, store, library, batch)
        return dg.Output(summary, metadata=output_metadata(summary))

    @dg.op(
        name=f"{stage.name}_collect",
        tags=tags,
        description=f"Adds up the batches of {stage.name} into its materialization.",
    )
    def collect(
        context: dg.OpExecutionContext,
        config: Config,
        catalog: CatalogResource,
        paths: MediaPaths,
        summaries: list[BatchSummary],
    ) -> dg.MaterializeResult:
        library = context.partition_key
        if redelivered(summaries):
            summaries = with_earlier_attempts(summaries, batch_outputs(context, stage))
        metadata, samples = collect_metadata(stage, library, summaries, paths.root())
        with retry_transient(context):
            store = catalog.open()
            metadata.update(stage.describe(config, metadata, summaries, store, paths.root()))
        context.log.info(
            f"{stage.name} of {library}: {metadata[stage.done_key]} done, {metadata['failed']} "
            f"failed, {metadata['batches']} batches on {metadata['hosts'] or '-'}"
        )
        if stage.sheet is not None:
            key, size = stage.sheet
            sheet = contact_sheet(samples[:size])
            if sheet is not None:
                title = f"{min(len(samples), size)} {key.replace('_', ' ')} of {library}"
                metadata[key] = dg.MetadataValue.md(markdown_image(sheet, title))
        return dg.MaterializeResult(metadata=metadata)

    return plan, batch, collect


def batch_outputs(context: dg.OpExecutionContext, stage: Stage) -> dict[int, list[dict[str, Any]]]:
    """The output metadata of every attempt of the stage's batch steps in this run."""
    outputs: dict[int, list[dict[str, Any]]] = {}
    marker = f"{stage.name}_batch[b"
    cursor = None
    while True:
        page = context.instance.get_records_for_run(
            context.run_id, cursor, of_type=dg.DagsterEventType.STEP_OUTPUT, limit=1000
        )
        for record in page.records:
            event = record.event_log_entry.dagster_event
            key = (event.step_key or "") if event else ""
            if marker not in key:
                continue
            index = int(key[key.index(marker) + len(marker) :].rstrip("]"))
            metadata = event.event_specific_data.metadata
            outputs.setdefault(index, []).append({k: v.value for k, v in metadata.items()})
        if not page.has_more:
            return outputs
        cursor = page.cursor


def run_stage(stage: Stage, *upstream: Any) -> Any:
    """The graph of a stage's asset: its plan waits for ``upstream`` (the asset's inputs)."""
    plan, batch, collect = stage_ops(stage)
    return collect(plan(start=list(upstream)).map(batch).collect())
