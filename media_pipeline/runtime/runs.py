"""Runs on the Dagster instance: start one for the CLI, and summarise the run storage.

Dagster's run storage is the worker log; this module only reads it (and its progress lines).
"""

from __future__ import annotations

import _thread
import ctypes
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster import DagsterRunStatus
from dagster._core.storage.tags import PRIORITY_TAG

from media_pipeline.operations.run_tags import trigger_of
from media_pipeline.runtime import tags
from media_pipeline.runtime.failures import one_line, step_failure_message
from media_pipeline.runtime.progress import ProgressReport, combine_progress, parse_progress
from media_pipeline.runtime.reaper import ACTIVE, HEARTBEAT_SECONDS, beat

QUEUED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED]
logger = logging.getLogger(__name__)


def run_progress(
    instance: dg.DagsterInstance, run_id: str, max_records: int = 20_000
) -> ProgressReport | None:
    """The progress of a run's current stage: the newest progress line of each of its batch
    steps added up (combine_progress), read newest first."""
    newest: dict[str, ProgressReport] = {}
    task: str | None = None
    cursor, read = None, 0
    while read < max_records:
        connection = instance.get_records_for_run(
            run_id, cursor=cursor, limit=1000, ascending=False
        )
        for record in connection.records:
            report = parse_progress(record.event_log_entry.user_message)
            if report is None:
                continue
            task = task or report.task
            if report.task == task:
                newest.setdefault(record.event_log_entry.step_key or "", report)
        read += len(connection.records)
        if not connection.has_more:
            break
        cursor = connection.cursor
    return combine_progress(newest)


@contextmanager
def watch_run(
    instance: dg.DagsterInstance,
    run_id: str,
    on_progress: Callable[[ProgressReport], None] | None = None,
    interval: float = 0.5,
    launched: bool = False,
) -> Iterator[None]:
    """While a run executes in this thread: feed progress lines to `on_progress`, write the
    run's heartbeat, and honour termination requested from the UI or API (which marks the run
    CANCELING) by interrupting the run as Ctrl-C would, so steps stop and keep what they
    committed.

    ``launched``: a run the daemon or the UI launched (runtime/executor.py). Dagster
    interrupts it itself and watches its process, so this only ends a wait for a pool slot.
    """
    stop = threading.Event()
    executing = threading.get_ident()
    cursor: str | None = None
    # Every stage's newest line by step: the plans of stages that run side by side (clip,
    # faces) log their totals before either's batches start, and a stage's total is its plan's.
    stages: dict[str, dict[str, ProgressReport]] = {}

    def read_progress() -> None:
        nonlocal cursor
        if on_progress is None:
            return
        connection = instance.get_records_for_run(run_id, cursor=cursor)
        cursor = connection.cursor
        for record in connection.records:
            report = parse_progress(record.event_log_entry.user_message)
            if report is None:
                continue
            steps = stages.setdefault(report.task, {})
            steps[record.event_log_entry.step_key or ""] = report
            combined = combine_progress(steps)
            if combined is not None:
                on_progress(combined)

    interrupted = forced = False
    last_beat = time.monotonic()

    def watch_once() -> None:
        """One poll: progress, heartbeat, termination. An error here once stopped the thread
        for good, and with it the progress display, the heartbeat and the UI's Terminate."""
        nonlocal interrupted, forced, last_beat
        run = instance.get_run_by_id(run_id)
        if run is None:
            return
        read_progress()
        if not launched and time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
            beat(instance, run_id)  # for commands on other hosts (runtime/reaper.py)
            last_beat = time.monotonic()
        if run.status != DagsterRunStatus.CANCELING:
            return
        if not interrupted and not launched:
            interrupted = True
            _thread.interrupt_main()
        elif not forced and waiting_for_slot(instance, run_id):
            # Dagster holds an interrupt until a step runs, and the in-process executor
            # never looks at it while a step waits for a pool slot (a paused pool): raise
            # it in the thread executing the run, where it leaves the wait and the run
            # ends CANCELED.
            forced = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(executing), ctypes.py_object(KeyboardInterrupt)
            )

    def poll() -> None:
        while not stop.wait(interval):
            try:
                watch_once()
            except Exception:  # a busy storage or a display error: the next poll tries again
                logger.debug("watching run %s", run_id, exc_info=True)

    thread = threading.Thread(target=poll, name=f"watch-{run_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if instance.get_run_by_id(run_id) is not None:
            read_progress()  # the last lines, written after the previous poll


def waiting_for_slot(instance: dg.DagsterInstance, run_id: str) -> bool:
    """The run has a step waiting for a concurrency pool slot and none holding one."""
    storage = instance.event_log_storage
    infos = storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).values()
    waiting = any(run_id in info.pending_run_ids for info in infos)
    return waiting and not any(run_id in info.active_run_ids for info in infos)


def iso_time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def recorded_model(instance: dg.DagsterInstance, asset: str) -> str | None:
    """The model an asset's latest materialization recorded in its metadata ("model")."""
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    if event is None or event.asset_materialization is None:
        return None
    model = event.asset_materialization.metadata.get("model")
    return str(model.value) if model is not None else None


def _job_label(run: dg.DagsterRun) -> str:
    """The job, or for the UI's "Materialize" button (Dagster's implicit asset job) the assets."""
    if not run.job_name.startswith("__ASSET_JOB"):
        return run.job_name
    assets = sorted(key.to_user_string() for key in run.asset_selection or ())
    return f"materialize {', '.join(assets)}" if assets else "materialize"


def describe_run(instance: dg.DagsterInstance, record: Any, with_progress: bool = False) -> dict:
    run = record.dagster_run
    started, ended = record.start_time, record.end_time
    described: dict[str, Any] = {
        "run_id": run.run_id,
        "job": _job_label(run),
        "status": run.status.value,
        "library": run.tags.get(tags.LIBRARY) or run.tags.get("dagster/partition"),
        "trigger": trigger_of(run.tags),
        "priority": int(run.tags.get(PRIORITY_TAG, 0)),
        "created_at": record.create_timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "started_at": iso_time(started),
        "ended_at": iso_time(ended),
        "duration_seconds": round((ended or time.time()) - started, 1) if started else None,
    }
    if with_progress:
        report = run_progress(instance, run.run_id)
        described["progress"] = report.as_dict() if report else None
    if run.status == DagsterRunStatus.FAILURE:
        described["error"] = _failure_message(instance, run.run_id)
    return described


def _failure_message(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The first failed step and its one-line message (which names the fix), else the run's."""
    connection = instance.get_records_for_run(
        run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}
    )
    for record in connection.records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.event_type == dg.DagsterEventType.STEP_FAILURE:
            return f"{event.step_key}: {step_failure_message(event.event_specific_data)}"
        message = record.event_log_entry.user_message or (event.message if event else None)
        if message:
            return one_line(message)
    return None


def run_summary(instance: dg.DagsterInstance, recent: int = 10) -> dict[str, list[dict]]:
    """What `media-pipeline status` shows: running (with progress), queued, failed, recent."""

    def records(statuses: list[DagsterRunStatus] | None, limit: int) -> list[Any]:
        filters = dg.RunsFilter(statuses=statuses) if statuses else None
        return list(instance.get_run_records(filters=filters, limit=limit))

    return {
        "running": [describe_run(instance, r, with_progress=True) for r in records(ACTIVE, 100)],
        "queued": [describe_run(instance, r) for r in records(QUEUED, 100)],
        "failed": [describe_run(instance, r) for r in records([DagsterRunStatus.FAILURE], recent)],
        "recent": [
            describe_run(instance, r)
            for r in records(
                [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED],
                recent,
            )
        ],
    }
