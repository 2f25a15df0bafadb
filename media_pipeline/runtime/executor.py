"""The executor of launched runs on one machine: Dagster's in-process executor.

Runs the daemon or the UI launch got Dagster's default, the multiprocess executor, which
starts every step in a new process. Each imported the code location again (0.9 s on the
2-core development machine) and loaded its model again (CLIP's torch, the OCR engine): the
sensor's run after 30 new photos (19 steps) took 28.5 s that way against 8.7 s in process,
for the same work (bench/launched_runs.py). In process, a launched run executes as `media-pipeline
run` does: each model loads once per run, ahead of its batches (``Stage.warm_up``), and the
per-file work still spreads over the stages' own worker processes (stages/pool.py), which
also keep a decoder's crash away from the run.

What Dagster's in-process executor lacks is a way out of a wait for a pool slot: a terminated
run's interrupt waits for a step to start, which a paused pool never lets happen.
``watch_run(launched=True)`` ends that wait, as it does for the CLI's runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
from dagster._core.definitions.executor_definition import (
    IN_PROC_CONFIG,
    _core_in_process_executor_creation,
)
from dagster._core.events import DagsterEvent
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.executor.in_process import InProcessExecutor

from media_pipeline.runtime.reaper import EXECUTING_HERE
from media_pipeline.runtime.runs import watch_run


class LaunchedInProcessExecutor(InProcessExecutor):
    """Dagster's in-process executor; a terminated run also leaves a wait for a pool slot."""

    def execute(
        self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan
    ) -> Iterator[DagsterEvent]:
        run_id = plan_context.run_id
        EXECUTING_HERE.add(run_id)
        try:
            with watch_run(plan_context.instance, run_id, launched=True):
                yield from super().execute(plan_context, execution_plan)
        finally:
            EXECUTING_HERE.discard(run_id)


@dg.executor(name="in_process", config_schema=IN_PROC_CONFIG)
def launched_in_process_executor(init_context: dg.InitExecutorContext) -> InProcessExecutor:
    """Every step of a run in the run's own process (Dagster's ``in_process`` config)."""
    core = _core_in_process_executor_creation(init_context.executor_config)
    return LaunchedInProcessExecutor(
        retries=core.retries,
        step_dependency_config=core.step_dependency_config,
        marker_to_close=core.marker_to_close,
    )
