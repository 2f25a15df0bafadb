"""Runs on the Dagster instance: start one for the CLI, and summarise the run storage.

Dagster's run storage is the worker log; this module only reads it (and its progress lines).
"""

from __future__ import annotations

import _thread
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster import DagsterRunStatus

from media_pipeline.jobs import tags
from media_pipeline.jobs.failures import one_line, step_failure_message
from media_pipeline.jobs.progress import ProgressReport, parse_progress
from media_pipeline.jobs.reaper import ACTIVE, HEARTBEAT_SECONDS, beat

QUEUED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED]


def latest_progress(instance: dg.DagsterInstance, run_id: str) -> ProgressReport | None:
    """The newest progress line in a run's log (read newest first, so cheap on long runs)."""
    cursor = None
    for _ in range(20):
        connection = instance.get_records_for_run(run_id, cursor=cursor, limit=200, ascending=False)
        for record in connection.records:
            report = parse_progress(record.event_log_entry.user_message)
            if report is not None:
                return report
        if not connection.has_more:
            return None
        cursor = connection.cursor
    return None


@contextmanager
def watch_run(
    instance: dg.DagsterInstance,
    run_id: str,
    on_progress: Callable[[ProgressReport], None] | None = None,
    interval: float = 0.5,
) -> Iterator[None]:
    """While a run executes in this process: feed progress lines to `on_progress`, write the
    run's heartbeat, and honour termination requested from the UI or API (which marks the run
    CANCELING) by interrupting the run as Ctrl-C would, so steps stop and keep what they
    committed."""
    stop = threading.Event()
    cursor: str | None = None

    def read_progress() -> None:
        nonlocal cursor
        connection = instance.get_records_for_run(run_id, cursor=cursor)
        cursor = connection.cursor
        for record in connection.records:
            report = parse_progress(record.event_log_entry.user_message)
            if report is not None and on_progress is not None:
                on_progress(report)

    def poll() -> None:
        interrupted = False
        last_beat = time.monotonic()
        while not stop.wait(interval):
            run = instance.get_run_by_id(run_id)
            if run is None:
                continue
            read_progress()
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                beat(instance, run_id)  # for commands on other hosts (jobs/reaper.py)
                last_beat = time.monotonic()
            if not interrupted and run.status == DagsterRunStatus.CANCELING:
                interrupted = True
                _thread.interrupt_main()

    thread = threading.Thread(target=poll, name=f"watch-{run_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if instance.get_run_by_id(run_id) is not None:
            read_progress()  # the last lines, written after the previous poll


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def describe_run(instance: dg.DagsterInstance, record: Any, with_progress: bool = False) -> dict:
    run = record.dagster_run
    started, ended = record.start_time, record.end_time
    described: dict[str, Any] = {
        "run_id": run.run_id,
        "job": run.job_name,
        "status": run.status.value,
        "library": run.tags.get(tags.LIBRARY) or run.tags.get("dagster/partition"),
        "trigger": run.tags.get(tags.TRIGGER),
        "created_at": record.create_timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "started_at": _iso(started),
        "ended_at": _iso(ended),
        "duration_seconds": round((ended or time.time()) - started, 1) if started else None,
    }
    if with_progress:
        report = latest_progress(instance, run.run_id)
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
