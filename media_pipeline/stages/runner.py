"""The one stage runner: a per-file stage of a library, done in batches.

A stage (thumbnails, CLIP embeddings, faces, OCR, video encodings, and whatever comes next)
declares three things and nothing else:

- what is pending: ``Stage.done(config, paths)``, a condition on a ``media_files`` row that
  holds when its content needs no work (the runner adds "present, not failed unchanged");
- what one item does: ``StageWork.results(items)`` yields ``(item, Made | Exception)`` for the
  pending items it is given (usually through ``stages.pool.work_many``, which survives
  decoder crashes), writing its files (content-addressed, atomically) as it goes;
- what is saved: ``StageWork.save(rows)`` upserts ``Made.row`` values, keyed by content.

A new stage is a ``Stage`` subclass with ``open()`` returning its ``StageWork``, and a
``@dg.graph_asset`` whose body is ``return run_stage(STAGE, *upstream)`` (stages/graph.py);
thumbnails/assets.py is the shortest example.

The runner (``run_batch``) does the rest, the same for every stage: it re-reads what is still
pending in its batch's range of content hashes (so a retried step or a redelivered message
repeats nothing), commits every ``batch_size`` results with their failures in the errors
ledger (``catalog.stage_batch.StageBatch``: a terminated or crashed run keeps its work),
writes a progress line every 2 s, stops between items when the run is terminated, and
returns a ``BatchSummary`` that the collect step adds up into the asset's metadata.
"""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import dagster as dg
from sqlalchemy import ColumnElement

from media_pipeline.catalog.pending import HashRange, PendingContent, count_pending, iter_pending
from media_pipeline.catalog.stage_batch import StageBatch
from media_pipeline.catalog.store import Catalog, Library
from media_pipeline.metadata.errors import read_failure
from media_pipeline.paths import MediaPaths
from media_pipeline.runtime.progress import format_progress
from media_pipeline.settings import env_int

BATCH_FILES_SETTING = "MEDIA_PIPELINE_BATCH_FILES"
MAX_BATCHES = 1000  # per run, so a run's page in the UI stays usable
PROGRESS_EVERY = 2.0  # seconds between progress lines (and termination checks)
FAILURES_SHOWN = 20  # failed files listed in a materialization's metadata
SAMPLES_KEPT = 24  # files a batch passes on for the contact sheet
STOPPING = (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)


class BatchConfig(dg.Config):
    """Run config every stage shares: how many files a batch step takes."""

    batch_files: int = 0  # 0: MEDIA_PIPELINE_BATCH_FILES, else the stage's default
    batch_size: int = 50  # results per committed transaction, inside a batch


C = TypeVar("C", bound=BatchConfig)


@dataclass(frozen=True)
class Made:
    """What one item produced: the value ``StageWork.save`` stores, counters the stage
    reports (``faces_found``, ``bytes_written``) and files for the contact sheet."""

    row: Any
    counts: dict[str, float] = field(default_factory=dict)
    samples: Sequence[str] = ()  # for the UI: paths under MEDIA_PIPELINE_HOME (a contact
    # sheet), or what the stage's ``describe`` reads (content hashes)


class StageWork(ABC):
    """One batch's work, set up once per batch step (a model loaded, a pool's settings)."""

    info: dict[str, Any]  # what the metadata reports about how it ran (workers, model); read
    # when the batch ends, so the work may add to it as it goes (an encoder's peak memory)

    @abstractmethod
    def results(self, items: Iterator[PendingContent]) -> Iterator[tuple[PendingContent, Any]]:
        """``(item, Made)`` for each item done, ``(item, exception)`` for each that failed."""

    @abstractmethod
    def save(self, rows: Sequence[Any]) -> None:
        """Store ``Made.row`` values in one transaction; an upsert keyed by content."""


class Stage(ABC, Generic[C]):
    """A per-file stage: its names, its config, what is pending and how to start a batch."""

    name: ClassVar[str]  # the asset's name; its ops are <name>_plan, <name>_batch, <name>_collect
    ledger: ClassVar[str]  # the stage's name in the errors ledger
    progress: ClassVar[str]  # the task named in progress lines
    config: ClassVar[type[BatchConfig]]
    done_key: ClassVar[str]  # the metadata count of items done ("rendered", "embedded")
    rate_key: ClassVar[str] = "images_per_second"
    batch_files: ClassVar[int] = 2000  # default files per batch: a few minutes of work
    queue: ClassVar[str] = "cpu"  # the Celery queue of its batch steps (cpu or gpu)
    pool: ClassVar[str | None] = None  # the Dagster concurrency pool of its batch steps
    # The pool whose pause holds its running batches between files (steps of a pool wait
    # before they start; a stage that takes no pool, to spread, is paused through this one).
    pause_pool: ClassVar[str | None] = None
    sheet: ClassVar[tuple[str, int] | None] = None  # (metadata key, files) of a contact sheet
    counters: ClassVar[tuple[str, ...]] = ()  # Made.counts keys always in the metadata
    # Dagster's step priority of its batch steps (higher first, among steps ready at once).
    priority: ClassVar[int] = 0

    @abstractmethod
    def done(self, config: C, paths: MediaPaths) -> ColumnElement[bool]:
        """A file's content needs no work from this stage."""

    @abstractmethod
    def open(
        self, context: dg.OpExecutionContext, config: C, paths: MediaPaths, store: Catalog
    ) -> StageWork:
        """Set up one batch's work (called only when the batch has something pending)."""

    def skip(self) -> str | None:
        """Why the stage does nothing this run (switched off), or None."""
        return None

    def warm_up(self, config: C, paths: MediaPaths) -> str | None:
        """Start loading what ``open`` needs, in the background of this process, when the
        plan found work and the batches will run in this same process (a CLI run): a model
        that takes seconds to load then loads while other stages' batches run. What it
        started, for the log; None: nothing."""
        return None

    def message(self, error: BaseException) -> str:
        """The errors ledger's line for a failed file."""
        return read_failure(error) if isinstance(error, OSError) else str(error)

    def describe(
        self,
        config: C,
        metadata: dict[str, Any],
        summaries: Sequence[BatchSummary],
        store: Catalog,
        home: Path,
    ) -> dict[str, Any]:
        """Metadata of the stage's own beyond the counts (samples shown in the UI, ratios)."""
        return {}

    def files_per_batch(self, config: C, pending: int) -> int:
        """The configured size, else the stage's default; never more than MAX_BATCHES."""
        size = config.batch_files or env_int(BATCH_FILES_SETTING, 0) or self.batch_files
        return max(size, -(-pending // MAX_BATCHES), 1)


@dataclass(frozen=True)
class Batch:
    """One batch step's descriptor: a range of content hashes of one library. It passes
    between steps through Dagster's step storage; a batch re-reads its work from the catalog."""

    library: str
    index: int
    within: HashRange
    planned: int  # pending in the range when planned (the range may hold more by now)
    planned_at: float  # time.time() when the plan started


def plan_batches(
    store: Catalog, library: Library, stage: Stage, config: Any, paths: MediaPaths
) -> tuple[int, list[Batch]]:
    """(pending, batches) covering every content hash: the last one is open-ended, so what
    arrives after planning is still done by this run's last batch."""
    started = time.time()
    done = stage.done(config, paths)
    total = count_pending(store, library, stage.ledger, done)
    if not total:
        return 0, []  # what arrives from now on is the next run's
    size = stage.files_per_batch(config, total)
    bounds: list[tuple[str, int]] = []
    count = 0
    for item in iter_pending(store, library, stage.ledger, done, page=2000):
        count += 1
        if count == size:
            bounds.append((item.content_hash, count))
            count = 0
    if count or not bounds:
        bounds.append(("", count))
    batches, after = [], ""
    for index, (last, planned) in enumerate(bounds):
        upto = None if index == len(bounds) - 1 else last
        batches.append(Batch(library.name, index, HashRange(after, upto), planned, started))
        after = last
    return total, batches


@dataclass
class BatchSummary:
    """What one batch step did, for the collect step to add up."""

    host: str
    planned_at: float  # when the run's plan started: the stage's seconds count from there
    index: int = 0
    planned: int = 0
    done: int = 0
    failed: int = 0
    pending: int = 0
    seconds: float = 0.0
    counts: dict[str, float] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # first FAILURES_SHOWN
    info: dict[str, Any] = field(default_factory=dict)
    stopped: bool = False  # the run was terminated while this batch ran


def host_name() -> str:
    return socket.gethostname()


def _stopping(context: dg.OpExecutionContext) -> bool:
    run = context.instance.get_run_by_id(context.run_id)
    return run is not None and run.status in STOPPING


def _wait_while_paused(
    context: dg.OpExecutionContext, stage: Stage, processed: int, commit: Callable[[], None]
) -> bool:
    """Hold the batch while its pool is paused (`media-pipeline pause`), what it did
    committed first; False when the run was terminated meanwhile."""
    from media_pipeline.operations.pools import is_paused

    pool = stage.pool or stage.pause_pool
    if pool is None or not is_paused(context.instance, pool):
        return True
    commit()
    context.log.info(f"{stage.name} paused (pool {pool}) after {processed} files: waiting")
    while is_paused(context.instance, pool):
        if _stopping(context):
            return False
        time.sleep(PROGRESS_EVERY)
    context.log.info(f"{stage.name} resumed")
    return True


def run_batch(
    context: dg.OpExecutionContext,
    stage: Stage,
    config: Any,
    paths: MediaPaths,
    store: Catalog,
    library: Library,
    batch: Batch,
) -> BatchSummary:
    """Do what is still pending in the batch's range; see the module docstring."""
    started = time.monotonic()
    summary = BatchSummary(host_name(), batch.planned_at, batch.index, batch.planned)
    done = stage.done(config, paths)
    total = count_pending(store, library, stage.ledger, done, batch.within)
    summary.pending = total
    context.log.info(f"batch {batch.index} of {stage.name} ({library.name}) on {summary.host}: "
                     f"{total} files pending")  # fmt: skip
    if not total:
        return summary
    work = stage.open(context, config, paths, store)
    commits = StageBatch(store, library, stage.ledger, work.save, config.batch_size)
    items = iter_pending(store, library, stage.ledger, done, within=batch.within)
    last_report = started
    try:
        for pending, result in work.results(items):
            if isinstance(result, Made):
                commits.done(pending, result.row)
                summary.done += 1
                for key, value in result.counts.items():
                    summary.counts[key] = summary.counts.get(key, 0) + value
                room = SAMPLES_KEPT - len(summary.samples)
                summary.samples.extend(list(result.samples)[: max(room, 0)])
            else:
                message = stage.message(result)
                commits.failed(pending, message)
                summary.failed += 1
                if len(summary.failures) < FAILURES_SHOWN:
                    summary.failures.append((pending.rel_path, message))
            now = time.monotonic()
            if now - last_report >= PROGRESS_EVERY:
                processed = summary.done + summary.failed
                context.log.info(format_progress(stage.progress, processed, total, now - started))
                last_report = now
                if _stopping(context):
                    summary.stopped = True
                    break
                if not _wait_while_paused(context, stage, processed, commits.flush):
                    summary.stopped = True
                    break
    finally:
        commits.flush()
        summary.info = dict(work.info)
    summary.seconds = time.monotonic() - started
    if summary.stopped:
        raise dg.Failure(
            f"run terminated: batch {batch.index} of {stage.name} stopped after "
            f"{summary.done + summary.failed} files; what it committed is kept"
        )
    context.log.info(format_progress(stage.progress, total, total, summary.seconds))
    return summary


def output_metadata(summary: BatchSummary) -> dict[str, Any]:
    """What a batch step's output records in the event log, attempt by attempt."""
    return {
        "host": summary.host,
        "pending": summary.pending,
        "done": summary.done,
        "failed": summary.failed,
        "seconds": round(summary.seconds, 3),
        **summary.counts,
    }


def redelivered(summaries: Sequence[BatchSummary]) -> bool:
    """Some batch found nothing of what was planned for it: its work was done by an earlier
    attempt (a finished batch whose acknowledgement died with its worker is delivered again),
    or by another run. Only then does the collect step read the event log."""
    return any(s.planned and not s.pending for s in summaries)


def with_earlier_attempts(
    summaries: Sequence[BatchSummary], outputs: dict[int, list[dict[str, Any]]]
) -> list[BatchSummary]:
    """The summaries plus every earlier attempt of a batch that found nothing pending, from
    the metadata of its outputs (``output_metadata``, keyed by batch index): the step's stored
    output is its last attempt's, so without them the first attempt's work and host are lost."""
    known = {"host", "pending", "done", "failed", "seconds"}
    merged = list(summaries)
    for summary in summaries:
        if not summary.planned or summary.pending:
            continue
        for attempt in outputs.get(summary.index, []):
            if not attempt.get("pending"):
                continue
            merged.append(
                BatchSummary(
                    str(attempt["host"]),
                    summary.planned_at,
                    summary.index,
                    summary.planned,
                    done=int(attempt["done"]),
                    failed=int(attempt["failed"]),
                    pending=int(attempt["pending"]),
                    seconds=float(attempt["seconds"]),
                    counts={k: v for k, v in attempt.items() if k not in known},
                )
            )
    return merged


def collect_metadata(
    stage: Stage, library: str, summaries: Sequence[BatchSummary], home: Path
) -> tuple[dict[str, Any], list[Path]]:
    """The asset's metadata from its batches (today's counts and rates, plus the batches,
    the hosts that did the work and the failed files), and the contact sheet's files."""
    done = sum(s.done for s in summaries)
    failed = sum(s.failed for s in summaries)
    seconds = time.time() - min(s.planned_at for s in summaries) if summaries else 0.0
    counts: dict[str, float] = dict.fromkeys(stage.counters, 0)
    for summary in summaries:
        for key, value in summary.counts.items():
            counts[key] = counts.get(key, 0) + value
    info: dict[str, Any] = {}
    for summary in summaries:
        info.update(summary.info)
    hosts = sorted({s.host for s in summaries if s.pending})
    metadata: dict[str, Any] = {
        "library": library,
        stage.done_key: done,
        "failed": failed,
        "pending_before": sum(s.pending for s in summaries),
        **counts,
        **info,
        "batches": len({s.index for s in summaries}),
        "hosts": ", ".join(hosts),
        "seconds": round(seconds, 3),
        stage.rate_key: round(done / seconds, 2) if seconds > 0 else 0.0,
        "batch_seconds": round(sum(s.seconds for s in summaries), 3),
    }
    failures = [f for s in summaries for f in s.failures][:FAILURES_SHOWN]
    if failed:
        rows = "\n".join(f"| `{path}` | {error} |" for path, error in failures)
        more = f"\n\n…and {failed - len(failures)} more (`media-pipeline errors`)" if (
            failed > len(failures)
        ) else ""  # fmt: skip
        metadata["failed_files"] = dg.MetadataValue.md(
            f"{failed} files failed\n\n| file | error |\n|---|---|\n{rows}{more}"
        )
    samples = [home / path for s in summaries for path in s.samples]
    return metadata, samples
