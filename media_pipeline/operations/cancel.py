"""Cancel runs in Obscura's three scopes: one run, a library's runs, every run.

Each goes through the instance's run coordinator, as the UI's Terminate button does: a queued
run leaves the queue (CANCELED), a running one is asked to stop (CANCELING) and its steps stop
between files, keeping every batch they committed.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from media_pipeline.operations.run_tags import PARTITION_TAG
from media_pipeline.runtime.runs import ACTIVE, QUEUED
from media_pipeline.runtime.tags import LIBRARY

UNFINISHED = [*QUEUED, *ACTIVE]


def _unfinished(instance: dg.DagsterInstance, **filters: Any) -> list[dg.DagsterRun]:
    records = instance.get_run_records(dg.RunsFilter(statuses=UNFINISHED, **filters))
    return [record.dagster_run for record in records]


def runs_to_cancel(
    instance: dg.DagsterInstance,
    run_id: str | None = None,
    library: str | None = None,
) -> list[dg.DagsterRun]:
    """The unfinished runs of one scope: a run id (or its unique prefix), a library, or all."""
    if run_id:
        runs = [run for run in _unfinished(instance) if run.run_id.startswith(run_id)]
        if len(runs) > 1:
            raise ValueError(f"{run_id!r} matches {len(runs)} runs; give more of the run id")
        if not runs:
            found = instance.get_run_by_id(run_id)
            if found is None:
                raise ValueError(f"no run {run_id!r}; see `status`")
            raise ValueError(f"run {run_id} is already {found.status.value}")
        return runs
    if library:
        by_id = {
            run.run_id: run
            for key in (LIBRARY, PARTITION_TAG)
            for run in _unfinished(instance, tags={key: library})
        }
        return list(by_id.values())
    return _unfinished(instance)


def cancel_runs(instance: dg.DagsterInstance, runs: list[dg.DagsterRun]) -> list[dict[str, Any]]:
    """Cancel each run; what each was and what it is now."""
    outcome = []
    for run in runs:
        # A run the CLI executes in its own process has no launcher to ask: it is marked
        # CANCELING and that process stops it (runtime.runs.watch_run).
        instance.run_coordinator.cancel_run(run.run_id)
        now = instance.get_run_by_id(run.run_id)
        outcome.append(
            {
                "run_id": run.run_id,
                "job": run.job_name,
                "library": run.tags.get(LIBRARY) or run.tags.get(PARTITION_TAG),
                "was": run.status.value,
                "status": now.status.value if now else None,
            }
        )
    return outcome
