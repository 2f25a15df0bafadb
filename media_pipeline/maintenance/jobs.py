"""Maintenance jobs and their schedule: "Delete Missing Photos" and "Database backup".

Dagster reads the annotations of op parameters: no `from __future__ import annotations`.
"""

from datetime import timedelta

import dagster as dg

from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.maintenance.backup import BackupError, backup_catalog, list_backups
from media_pipeline.maintenance.purge import purge_missing
from media_pipeline.paths import MediaPaths
from media_pipeline.scan.schedules import TIMEZONE

LISTED = 200  # paths written to the run's log; all of them are counted


class PurgeConfig(dg.Config):
    grace_days: int = 30
    dry_run: bool = False


@dg.op(description="Purge catalog rows and derivatives of files missing for grace_days or more.")
def purge_missing_files(
    context: dg.OpExecutionContext, config: PurgeConfig, catalog: CatalogResource, paths: MediaPaths
) -> None:
    report = purge_missing(
        catalog.open(), paths.root(), timedelta(days=config.grace_days), dry_run=config.dry_run
    )
    verb = "would purge" if config.dry_run else "purged"
    context.log.info(f"{verb} {len(report.files)} files missing for {config.grace_days}+ days")
    for path in report.files[:LISTED]:
        context.log.info(f"{verb}: {path}")
    context.add_output_metadata(
        {
            "dry_run": config.dry_run,
            "grace_days": config.grace_days,
            "files": len(report.files),
            "derivatives_deleted": report.derivatives,
            "paths": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in report.files[:LISTED])),
            "listed": dg.MetadataValue.json(report.files[:LISTED]),  # for `purge-missing`
        }
    )


@dg.job(description="Delete Missing Photos: never touches originals; dry_run lists what would go.")
def delete_missing_photos() -> None:
    purge_missing_files()


class BackupConfig(dg.Config):
    keep: int = 14


@dg.op(description="A consistent copy of the catalog into MEDIA_PIPELINE_HOME/backups.")
def backup_catalog_op(
    context: dg.OpExecutionContext,
    config: BackupConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> None:
    folder = paths.folders().backups
    try:
        made = backup_catalog(catalog.open(), folder, keep=config.keep)
    except BackupError as exc:
        raise dg.Failure(description=str(exc)) from None  # the one line `backup` prints
    context.log.info(f"catalog backed up to {made}")
    context.add_output_metadata(
        {
            "backup": dg.MetadataValue.path(str(made)),
            "bytes": made.stat().st_size,
            "kept": len(list_backups(folder)),
        }
    )


@dg.job(description="Database backup of the catalog (Dagster's own storage is backed up apart).")
def backup_catalog_job() -> None:
    backup_catalog_op()


nightly_backup = dg.ScheduleDefinition(
    name="nightly_catalog_backup",
    job=backup_catalog_job,
    cron_schedule="0 3 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Backs the catalog up at 03:00, keeping the 14 newest (as Immich does daily).",
)
