"""`media-pipeline run`: materialize through Dagster on the configured instance.

The run is orchestrated by this process (no daemon needed) and recorded in the instance's run
storage like any other, so it shows in the UI's history; termination from the UI stops it.
With the embedded default every step runs in this process; with a broker configured
(MEDIA_PIPELINE_CELERY_BROKER) the steps go to the Celery workers and this process follows
the run to its end.
"""

from __future__ import annotations

import click
import dagster as dg
from dagster._core.utils import make_new_run_id
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline.cli.output import console, errors
from media_pipeline.distributed.executor import celery_broker
from media_pipeline.distributed.runs import JobExecutionResult, execute_distributed
from media_pipeline.jobs.progress import ProgressReport
from media_pipeline.jobs.tags import TRIGGER, library_run_tags


def _split_selection(
    jobs: list[dg.JobDefinition], select: str | None
) -> list[tuple[dg.JobDefinition, list[dg.AssetKey] | None]]:
    """Which job runs which of the chosen assets; every job in full when nothing is chosen."""
    if not select:
        return [(job, None) for job in jobs]
    owner = {
        key.to_user_string(): (job, key)
        for job in jobs
        for key in job.asset_layer.executable_asset_keys
    }
    chosen = [name.strip() for name in select.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in owner]
    if unknown:
        raise click.ClickException(
            f"unknown asset(s) {', '.join(unknown)}; choose from {', '.join(sorted(owner))}"
        )
    return [
        (job, [owner[name][1] for name in chosen if owner[name][0] is job])
        for job in jobs
        if any(owner[name][0] is job for name in chosen)
    ]


SUMMARY_COUNTS = frozenset(
    {
        "new",
        "changed",
        "moved",
        "unchanged",
        "missing",
        "failed",
        "failed_unchanged",
        "rendered",
        "embedded",
        "files_scanned",
        "faces_found",
        "recognised",
        "people",
        "new_people",
        "unknown_faces",
        "groups",
        "albums",
        "kept",
        "removed",
    }
)


@click.command()
@click.option("--library", "library_name", help="Only this library (default: every library).")
@click.option("--select", help="Comma-separated assets to materialize (default: all).")
def run(library_name: str | None, select: str | None) -> None:
    """Materialize the pipeline: each library's assets, then those spanning all libraries.
    Exits 0 when every run succeeds."""
    from media_pipeline.definitions import defs
    from media_pipeline.jobs.instance import get_instance
    from media_pipeline.jobs.partitions import sync_library_partitions

    store = open_catalog(settings.database_url())
    libraries = store.libraries()
    if library_name:
        libraries = [lib for lib in libraries if lib.name == library_name]
        if not libraries:
            raise click.ClickException(f"no library named {library_name!r}; see `library list`")
    if not libraries:
        raise click.ClickException("no libraries yet: `media-pipeline library add NAME PATH`")
    instance = get_instance()
    sync_library_partitions(instance, [lib.name for lib in store.libraries()])
    plan = _split_selection(
        [
            defs.resolve_job_def(name)
            for name in ("models_pipeline", "library_pipeline", "collection_pipeline")
        ],
        select,
    )
    failed = []
    for job, selection in plan:
        if job.partitions_def is None:
            if not _run_one(instance, job, None, selection):
                failed.append(job.name)
            continue
        for lib in libraries:
            if not _run_one(instance, job, lib.name, selection):
                failed.append(lib.name)
    if failed:
        raise click.ClickException(f"run failed for {', '.join(failed)}; see `status`")


def _summary(materialization: dg.AssetMaterialization) -> str:
    """The counts of a materialization's metadata, as a sentence."""
    parts = [
        f"{value.value} {key}"
        for key, value in materialization.metadata.items()
        if isinstance(value, dg.IntMetadataValue) and key in SUMMARY_COUNTS
    ]
    seconds = materialization.metadata.get("seconds")
    if seconds is not None:
        parts.append(f"in {seconds.value:.1f} s")
    return ", ".join(parts)


def _run_one(
    instance: dg.DagsterInstance,
    job: dg.JobDefinition,
    library: str | None,
    selection: list[dg.AssetKey] | None,
) -> bool:
    result = execute_job(instance, job, library=library, selection=selection)
    if result is None:
        return False
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        asset = materialization.asset_key.to_user_string()
        console.print(f"  {asset}: {_summary(materialization)}")
    return result.success


def execute_job(
    instance: dg.DagsterInstance,
    job: dg.JobDefinition,
    *,
    library: str | None = None,
    selection: list[dg.AssetKey] | None = None,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult | JobExecutionResult | None:
    """Execute a job of the code location with the configured executor, recorded on the
    instance, with a progress bar fed by the run's progress lines; None when interrupted."""
    from media_pipeline.jobs.runs import watch_run

    run_id = make_new_run_id()
    subject = f"library [bold]{library}[/bold]" if library else "[bold]all libraries[/bold]"
    console.print(f"{subject}: {job.name} run {run_id} on {instance.root_directory}")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=None, rate="")

        def show(report: ProgressReport) -> None:
            bar.update(
                task,
                description=report.task,
                completed=report.done,
                total=report.total,
                rate=f"{report.rate:.1f} files/s",
            )

        try:
            with watch_run(instance, run_id, on_progress=show):
                # The run's full log is in the UI; the terminal shows progress and warnings.
                config = {
                    **(run_config or {}),
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                }
                tags = library_run_tags(library, "cli") if library else {TRIGGER: "cli"}
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
    if not result.success:
        status = instance.get_run_by_id(run_id)
        errors.print(f"run {run_id} ended {status.status.value if status else 'badly'}")
    return result
