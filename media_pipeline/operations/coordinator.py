"""The run queue of dagster.yaml with one addition: every submitted run gets the library,
trigger and priority tags it lacks (a run launched from the UI's Materialize button or
Launchpad, a backfill), before the queue orders it."""

from __future__ import annotations

from dagster._core.run_coordinator import QueuedRunCoordinator, SubmitRunContext
from dagster._core.storage.dagster_run import DagsterRun

from media_pipeline.operations.run_tags import submitted_run_tags


class TaggingRunCoordinator(QueuedRunCoordinator):
    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        added = submitted_run_tags(run.tags, run.asset_selection)
        if added:
            self._instance.add_run_tags(run.run_id, added)
            run = self._instance.get_run_by_id(run.run_id) or run
        return super().submit_run(SubmitRunContext(run, context.workspace))
