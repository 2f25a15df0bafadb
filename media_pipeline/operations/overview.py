"""`media-pipeline status`: Obscura's four figures — running, backlog (queued runs and files
each stage still has to do), failures not cleared, recently finished — with what is paused and
how the asset checks last ended."""

from __future__ import annotations

from typing import Any

import dagster as dg
from sqlalchemy import ColumnElement

from media_pipeline.catalog.embeddings import STAGE as CLIP_STAGE
from media_pipeline.catalog.embeddings import embedded
from media_pipeline.catalog.faces import STAGE as FACES_STAGE
from media_pipeline.catalog.faces import scanned
from media_pipeline.catalog.failures import count_errors
from media_pipeline.catalog.pending import count_pending
from media_pipeline.catalog.store import Catalog
from media_pipeline.catalog.thumbnails import STAGE as THUMBNAILS_STAGE
from media_pipeline.catalog.thumbnails import has_preview
from media_pipeline.checks.keys import CHECKS
from media_pipeline.operations.pools import paused_scopes
from media_pipeline.runtime.runs import iso_time, recorded_model, run_summary


def _stage_conditions(instance: dg.DagsterInstance) -> dict[str, ColumnElement[bool]]:
    """stage -> what counts as done, for the models the stages last ran with."""
    conditions = {THUMBNAILS_STAGE: has_preview()}
    for stage, asset, done in (
        (CLIP_STAGE, "clip_embeddings", embedded),
        (FACES_STAGE, "face_detections", scanned),
    ):
        model = recorded_model(instance, asset)
        # Only previewed contents are the stage's work; all of them before its first run.
        conditions[stage] = done(model) | ~has_preview() if model else ~has_preview()
    return conditions


def pending_files(instance: dg.DagsterInstance, catalog: Catalog) -> dict[str, dict[str, int]]:
    """library -> stage -> contents still to process (what the next run of the stage does)."""
    conditions = _stage_conditions(instance)
    return {
        library.name: {
            stage: count_pending(catalog, library, stage, done)
            for stage, done in conditions.items()
        }
        for library in catalog.libraries()
    }


def check_summary(instance: dg.DagsterInstance) -> list[dict[str, Any]]:
    """The latest evaluation of each asset check: passed, failed, or never run."""
    keys = [dg.AssetCheckKey(dg.AssetKey(asset), name) for asset, name in CHECKS]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    outcome = {"SUCCEEDED": "passed", "FAILED": "failed", "PLANNED": "pending"}
    rows = []
    for key in keys:
        record = latest.get(key)
        event = record.event if record is not None else None
        data = event.dagster_event.event_specific_data if event and event.dagster_event else None
        rows.append(
            {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "status": outcome[record.status.value] if record else "not run",
                "description": getattr(data, "description", None),
                "run_id": record.run_id if record else None,
                "at": iso_time(event.timestamp) if event else None,
            }
        )
    return rows


def overview(instance: dg.DagsterInstance, catalog: Catalog, recent: int = 10) -> dict[str, Any]:
    runs = run_summary(instance, recent=recent)
    pending = pending_files(instance, catalog)
    file_errors = count_errors(catalog)
    checks = check_summary(instance)
    return {
        **runs,
        "figures": {
            "running": len(runs["running"]),
            "backlog": {
                "queued_runs": len(runs["queued"]),
                "pending_files": sum(n for stages in pending.values() for n in stages.values()),
            },
            "failures": sum(file_errors.values()),
            "recently_finished": len(runs["recent"]),
        },
        "pending": pending,
        "file_errors": file_errors,
        "paused": paused_scopes(instance),
        "checks": checks,
    }
