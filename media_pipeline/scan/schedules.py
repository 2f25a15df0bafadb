"""Full rescans on a clock: they catch files edited in place, which the sensor cannot see."""

from collections.abc import Iterator

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.pipeline import library_pipeline
from media_pipeline.runtime.tags import library_run_tags

TIMEZONE = settings.get("MEDIA_PIPELINE_TIMEZONE") or "UTC"


def _scan_every_library(
    context: dg.ScheduleEvaluationContext, catalog: CatalogResource, trigger: str
) -> Iterator[dg.RunRequest]:
    stamp = context.scheduled_execution_time.isoformat()
    for library in catalog.open().libraries():
        yield dg.RunRequest(
            partition_key=library.name,
            run_key=f"{trigger}:{library.name}:{stamp}",
            tags=library_run_tags(library.name, trigger),
        )


@dg.schedule(
    job=library_pipeline,
    cron_schedule="0 0 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly rescan of every library at 00:00 (MEDIA_PIPELINE_TIMEZONE, default UTC).",
)
def nightly_library_scan(
    context: dg.ScheduleEvaluationContext, catalog: CatalogResource
) -> Iterator[dg.RunRequest]:
    yield from _scan_every_library(context, catalog, "schedule")


@dg.schedule(
    job=library_pipeline,
    cron_schedule=settings.get("MEDIA_PIPELINE_AUTOSCAN_CRON") or "0 */6 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "Interval auto-scan (every 6 hours unless MEDIA_PIPELINE_AUTOSCAN_CRON says otherwise); "
        "off by default: the change sensor and the nightly scan cover most libraries."
    ),
)
def periodic_library_scan(
    context: dg.ScheduleEvaluationContext, catalog: CatalogResource
) -> Iterator[dg.RunRequest]:
    yield from _scan_every_library(context, catalog, "interval")
