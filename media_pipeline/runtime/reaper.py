"""Dead runs: a run whose process is gone is marked FAILURE with the reason, so `status` and
the UI never show a crashed, OOM-killed or rebooted run as running.

Dagster's run monitoring cannot check a worker started by the default run launcher, so the
project checks itself: runs the CLI executes carry their host and pid and write a heartbeat
tag; runs the daemon launched are found by the pid in their "Started process for run" event,
which the reaper sensor (evaluated in the code server, which started them) checks on its
host. `reap_dead_runs` runs before CLI commands that show or start runs and on each tick of
`dead_run_sensor`.
"""

from __future__ import annotations

import os
import re
import socket
import time

import dagster as dg
import psutil
from dagster import DagsterRunStatus

from media_pipeline.runtime import tags

ACTIVE = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
HEARTBEAT_SECONDS = 30.0
# A run on another host is dead after this long without a heartbeat (four missed beats).
SILENT_SECONDS = 4 * HEARTBEAT_SECONDS
_STARTED_PROCESS = re.compile(r"Started process for run \(pid: (\d+)\)")


def process_tags() -> dict[str, str]:
    """The tags that let any later command tell whether this process still runs the run."""
    return {
        tags.HOST: socket.gethostname(),
        tags.PID: str(os.getpid()),
        tags.HEARTBEAT: str(int(time.time())),
    }


# Launched runs whose steps this process executes (runtime/executor.py).
EXECUTING_HERE: set[str] = set()


def runs_here(run: dg.DagsterRun) -> bool:
    """Whether the run's steps all execute in this very process: a CLI run (its process tags
    say so) or a launched run of the in-process executor; False for runs launched elsewhere
    and for steps on Celery workers or in step subprocesses."""
    if run.run_id in EXECUTING_HERE:
        return True
    return run.tags.get(tags.PID) == str(os.getpid()) and run.tags.get(tags.HOST) == (
        socket.gethostname()
    )


def beat(instance: dg.DagsterInstance, run_id: str) -> None:
    """Record that the run's process is alive now."""
    instance.add_run_tags(run_id, {tags.HEARTBEAT: str(int(time.time()))})


def _alive(pid: int, since: float) -> bool:
    """A process with this pid that started before the run did (not a reused pid)."""
    try:
        return psutil.Process(pid).create_time() <= since + 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _launched_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid in the engine event a daemon-launched run writes when its process starts."""
    connection = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20
    )
    for record in connection.records:
        found = _STARTED_PROCESS.search(record.event_log_entry.user_message or "")
        if found:
            return int(found.group(1))
    return None


def why_dead(
    instance: dg.DagsterInstance, record: dg.RunRecord, judge_launched: bool
) -> str | None:
    """Why an active run is dead, or None when it may be alive. ``judge_launched``: also judge
    runs without the CLI's tags by their launched pid (only where they were launched)."""
    run = record.dagster_run
    here = socket.gethostname()
    # The run's process started before the run did (a STARTING run: any process will do).
    since = record.start_time or time.time()
    host, pid = run.tags.get(tags.HOST), run.tags.get(tags.PID)
    if host is not None and pid is not None:
        if host == here:
            if _alive(int(pid), since):
                return None
            return f"its process (pid {pid} on {host}) is gone: killed, crashed or rebooted"
        heartbeat = float(run.tags.get(tags.HEARTBEAT, since))
        silent = time.time() - heartbeat
        if silent <= SILENT_SECONDS:
            return None
        return f"no heartbeat from its process (pid {pid} on {host}) for {silent:.0f} s"
    if not judge_launched:
        return None
    launched = _launched_pid(instance, run.run_id)
    if launched is None or _alive(launched, since):
        return None
    return f"its process (pid {launched}) is gone: killed, crashed or rebooted"


def reap_dead_runs(instance: dg.DagsterInstance, judge_launched: bool = False) -> list[str]:
    """Mark every active run whose process is gone FAILURE, with the reason; their ids."""
    reaped = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE)):
        reason = why_dead(instance, record, judge_launched)
        if reason is None:
            continue
        run = instance.get_run_by_id(record.dagster_run.run_id)
        if run is None or run.status not in ACTIVE:
            continue  # it ended while we looked
        instance.report_run_failed(run, f"Run worker died: {reason}.")
        # Its pool slots (scan, render, ml) would stay claimed and hold every later run.
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs whose process is gone (killed, crashed, rebooted) FAILURE with the "
    "reason, so no dead run shows as running.",
)
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    reaped = reap_dead_runs(context.instance, judge_launched=True)
    return dg.SkipReason(f"failed {len(reaped)} dead runs: {', '.join(reaped)}" if reaped else None)
