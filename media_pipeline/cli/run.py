"""`media-pipeline run`: materialize through Dagster on the configured instance.

The run is orchestrated by this process (no daemon needed) and recorded in the instance's run
storage like any other, so it shows in the UI's history; termination from the UI stops it.
The terminal gets progress, each asset's counts, and one line per failed asset (what failed
and how to fix it); the tracebacks are in the run's log and behind `--verbose`.
With the embedded default every step runs in this process; with a broker configured
(MEDIA_PIPELINE_CELERY_BROKER) the steps go to the Celery workers and this process follows
the run to its end.
"""

from __future__ import annotations

import click
import dagster as dg
from dagster._core.utils import make_new_run_id

from media_pipeline import settings
from media_pipeline.catalog.store import Catalog, open_catalog
from media_pipeline.cli.output import console, errors
from media_pipeline.cli.progress import RunProgress
from media_pipeline.cli.quiet import quiet_ml_libraries
from media_pipeline.distributed.executor import celery_broker
from media_pipeline.distributed.runs import JobExecutionResult, execute_distributed
from media_pipeline.operations.run_tags import cli_run_tags
from media_pipeline.runtime.failures import run_outcome
from media_pipeline.runtime.reaper import process_tags


def _split_selection(
    jobs: list[dg.JobDefinition], select: str | None
) -> list[tuple[dg.JobDefinition, list[dg.AssetKey] | None]]:
    """Which job runs which of the chosen assets (or asset groups, as `ml_models`); every job
    in full when nothing is chosen."""
    if not select:
        return [(job, None) for job in jobs]
    owner: dict[str, list[tuple[dg.JobDefinition, dg.AssetKey]]] = {}
    for job in jobs:
        for key in job.asset_layer.executable_asset_keys:
            owner.setdefault(key.to_user_string(), []).append((job, key))
            group = job.asset_layer.asset_graph.get(key).group_name
            owner.setdefault(group, []).append((job, key))
    chosen = [name.strip() for name in select.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in owner]
    if unknown:
        raise click.UsageError(
            f"unknown asset(s) {', '.join(unknown)}; choose from {', '.join(sorted(owner))}"
        )
    picked = [pair for name in chosen for pair in owner[name]]
    return [
        (job, list(dict.fromkeys(key for owner_job, key in picked if owner_job is job)))
        for job in jobs
        if any(owner_job is job for owner_job, _ in picked)
    ]


SUMMARY_COUNTS = frozenset(
    {
        "new",
        "changed",
        "moved",
        "migrated",
        "waiting",
        "unchanged",
        "missing",
        "failed",
        "failed_unchanged",
        "rendered",
        "embedded",
        "read",
        "with_text",
        "files_scanned",
        "faces_found",
        "recognised",
        "people",
        "new_people",
        "unknown_faces",
        "groups",
        "albums",
        "memories",
        "kept",
        "removed",
    }
)


@click.command()
@click.option("--library", "library_name", help="Only this library (default: every library).")
@click.option("--select", help="Comma-separated assets or groups to materialize (default: all).")
@click.option("--verbose", is_flag=True, help="Print the runs' logs, tracebacks included.")
@click.option(
    "--priority", type=int, help="Run priority: higher first for pool slots (default 10)."
)
@click.pass_context
def run(
    ctx: click.Context,
    library_name: str | None,
    select: str | None,
    verbose: bool,
    priority: int | None = None,
) -> None:
    """Materialize the pipeline: each library's assets, then those spanning all libraries.
    Exits 0 when everything succeeded, 1 when an asset or run failed (one line each)."""
    store = open_catalog(settings.database_url())
    libraries = [lib.name for lib in store.libraries()]
    if library_name:
        if library_name not in libraries:
            raise click.UsageError(f"no library named {library_name!r}; see `library list`")
        libraries = [library_name]
    if not libraries:
        raise click.UsageError("no libraries yet: `media-pipeline library add NAME PATH`")
    if not run_pipeline(store, libraries, select, verbose, priority):
        ctx.exit(1)


def run_pipeline(
    store: Catalog,
    libraries: list[str],
    select: str | None = None,
    verbose: bool = False,
    priority: int | None = None,
) -> bool:
    """The models, each library's pipeline, then the collections; False when anything failed
    (each failure has been printed on one line, then a summary line)."""
    from media_pipeline.definitions import defs
    from media_pipeline.runtime.instance import get_instance
    from media_pipeline.runtime.partitions import sync_library_partitions
    from media_pipeline.runtime.queue import scan_slot

    instance = get_instance()
    sync_library_partitions(instance, [lib.name for lib in store.libraries()])
    plan = _split_selection(
        [
            defs.resolve_job_def(name)
            for name in ("models_pipeline", "library_pipeline", "collection_pipeline")
        ],
        select,
    )
    report = _Report()
    for job, selection in plan:
        if job.partitions_def is None:
            result = execute_job(
                instance, job, selection=selection, verbose=verbose, priority=priority
            )
            report.add(instance, result, job, None, selection)
            continue
        for library in libraries:

            def waiting(what: str, library: str = library) -> None:
                console.print(f"library [bold]{library}[/bold]: waiting for {what} to finish")

            with scan_slot(instance, store, library, waiting):
                result = execute_job(
                    instance,
                    job,
                    library=library,
                    selection=selection,
                    verbose=verbose,
                    priority=priority,
                )
            report.add(instance, result, job, library, selection)
    return report.finish()


class _Report:
    """Each run's counts as it ends; one line per failed asset; the summary at the end."""

    def __init__(self) -> None:
        self.failed = self.succeeded = self.runs_failed = 0
        self.skipped: list[str] = []  # assets not run because one they need failed
        self.messages: dict[str, str] = {}  # message → the asset that said it first

    def add(
        self,
        instance: dg.DagsterInstance,
        result: dg.ExecuteInProcessResult | None,
        job: dg.JobDefinition,
        library: str | None,
        selection: list[dg.AssetKey] | None,
    ) -> None:
        if result is None:  # interrupted (said so already)
            self.runs_failed += 1
            return
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            asset = materialization.asset_key.to_user_string()
            console.print(f"  {asset}: {_summary(materialization)}")
        outcome = run_outcome(instance, result.run_id)
        self.failed += len(outcome.failed)
        self.succeeded += len(outcome.succeeded)
        asked = selection or job.asset_layer.executable_asset_keys
        ran = set(outcome.failed) | set(outcome.succeeded)
        self.skipped += sorted(
            key.to_user_string() for key in asked if key.to_user_string() not in ran
        )
        for asset, message in outcome.failed.items():
            self._line(asset if library is None else f"{asset} ({library})", message)
        if not result.success and not outcome.failed:
            self.runs_failed += 1
            run = instance.get_run_by_id(result.run_id)
            ended = f"ended {run.status.value}" if run is not None else "failed"
            self._line(f"run {result.run_id}", outcome.run_failure or ended)

    def _line(self, what: str, message: str) -> None:
        first = self.messages.setdefault(message, what)
        shown = message if first == what else f"the same error as {first}"
        errors.print(f"{what}: {shown}", soft_wrap=True, markup=False, highlight=False)

    def finish(self) -> bool:
        if not self.failed and not self.runs_failed:
            console.print(f"done: {self.succeeded} assets materialized")
            return True
        parts = [f"{self.failed} assets failed"]
        if self.skipped:
            parts.append(
                f"{len(self.skipped)} not run as they need one ({', '.join(self.skipped)})"
            )
        if self.runs_failed:
            parts.append(f"{self.runs_failed} runs failed or stopped")
        parts.append(f"{self.succeeded} succeeded")
        errors.print(
            f"{', '.join(parts)}; tracebacks: `media-pipeline run --verbose`, or the run's log in "
            "the UI; failed files: `media-pipeline errors`",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
        return False


def _summary(materialization: dg.AssetMaterialization) -> str:
    """The counts of a materialization's metadata, as a sentence."""
    parts = [
        f"{value.value} {key}"
        for key, value in materialization.metadata.items()
        if isinstance(value, dg.IntMetadataValue) and key in SUMMARY_COUNTS
    ]
    unchanged = materialization.metadata.get("inputs_unchanged")
    if unchanged is not None and unchanged.value is True:
        parts.append("inputs unchanged, kept")
    seconds = materialization.metadata.get("seconds")
    if seconds is not None:
        parts.append(f"in {seconds.value:.1f} s")
    return ", ".join(parts) or "done"


def execute_job(
    instance: dg.DagsterInstance,
    job: dg.JobDefinition,
    *,
    library: str | None = None,
    selection: list[dg.AssetKey] | None = None,
    run_config: dict | None = None,
    verbose: bool = False,
    priority: int | None = None,
) -> dg.ExecuteInProcessResult | JobExecutionResult | None:
    """Execute a job of the code location with the configured executor (in this process, or
    on the Celery workers when a broker is configured), recorded on the instance, with a
    progress bar fed by the run's progress lines; None when interrupted. Dead runs are failed
    first (runtime/reaper.py), so none blocks this one or shows as running."""
    from media_pipeline.runtime.heap import settle_heap
    from media_pipeline.runtime.reaper import reap_dead_runs
    from media_pipeline.runtime.runs import watch_run

    settle_heap()  # Dagster, the definitions and the instance are loaded by now
    reap_dead_runs(instance)

    run_id = make_new_run_id()
    subject = f"library [bold]{library}[/bold]" if library else "[bold]all libraries[/bold]"
    console.print(f"{subject}: {job.name} run {run_id} on {instance.root_directory}")
    quiet_ml_libraries()
    with RunProgress(console) as progress:
        try:
            with watch_run(instance, run_id, on_progress=progress.show):
                # The run's full log is in the UI; the terminal shows progress and one
                # line per failure (printed by the caller), the whole log with --verbose.
                config = {
                    **(run_config or {}),
                    "loggers": {
                        "console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}
                    },
                }
                tags = {**cli_run_tags(library, priority), **process_tags()}
                if celery_broker() is None:
                    result = job.execute_in_process(
                        run_config=config,
                        instance=instance,
                        partition_key=library,
                        run_id=run_id,
                        tags=tags,
                        asset_selection=selection,
                        raise_on_error=False,
                    )
                else:
                    result = execute_distributed(
                        instance, job, run_id, config, tags, library, selection
                    )
        except KeyboardInterrupt:
            errors.print(f"run {run_id} interrupted; committed work is kept")
            return None
    return result
