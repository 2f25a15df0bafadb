"""Executing a run of the code location with its configured executor from this process.

``execute_in_process`` always runs every step in the calling process; with the Celery
executor the run must be reconstructable by the workers (they load the same code location
by module), so it is created on the instance and executed like the daemon's run worker does.
"""

from __future__ import annotations

import warnings

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from dagster._core.execution.api import execute_run
from dagster._core.execution.job_execution_result import JobExecutionResult
from dagster._core.storage.tags import PARTITION_NAME_TAG

__all__ = [
    "DEFINITIONS_MODULE",
    "JobExecutionResult",
    "create_reconstructable_run",
    "execute_distributed",
]

DEFINITIONS_MODULE = "media_pipeline.definitions"


def create_reconstructable_run(
    instance: dg.DagsterInstance,
    job: dg.JobDefinition,
    *,
    tags: dict[str, str],
    partition: str | None,
    run_id: str | None = None,
    run_config: dict | None = None,
    selection: list[dg.AssetKey] | None = None,
) -> tuple[dg.DagsterRun, ReconstructableJob]:
    """A run of ``job`` that another process can execute (a Celery worker, a run worker
    started by `dagster api execute_run`): it names the code location by module."""
    recon = ReconstructableRepository.for_module(DEFINITIONS_MODULE, "defs")
    recon_job = recon.get_reconstructable_job(job.name)
    run = instance.create_run_for_job(
        job_def=job,
        run_config=run_config,
        run_id=run_id,
        tags={**tags, PARTITION_NAME_TAG: partition} if partition else tags,
        asset_selection=frozenset(selection) if selection else None,
        job_code_origin=recon_job.get_python_origin(),
    )
    return run, recon_job


def execute_distributed(
    instance: dg.DagsterInstance,
    job: dg.JobDefinition,
    run_id: str,
    run_config: dict,
    tags: dict[str, str],
    partition: str | None,
    selection: list[dg.AssetKey] | None,
) -> JobExecutionResult:
    """Run ``job`` with the configured executor; the steps run wherever it sends them."""
    run, recon_job = create_reconstructable_run(
        instance,
        job,
        tags=tags,
        partition=partition,
        run_id=run_id,
        run_config=run_config,
        selection=selection,
    )
    with warnings.catch_warnings():
        # dagster-celery registers its task again for every step it submits.
        warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already")
        return execute_run(recon_job, run, instance, raise_on_error=False)
