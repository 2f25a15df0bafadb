"""Terminating a running scan keeps what it committed; concurrent scans never duplicate rows."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.conftest import IMMICH


def _big_library(root: Path, count: int) -> Path:
    """`count` paths of a 24-megapixel JPEG with data after its end, as motion photos have, so
    each is verified by decoding (hard links: real work per file, no disk)."""
    root.mkdir()
    original = root / "original.jpg"
    jpeg = (IMMICH / "albums" / "text" / "craft-beer.jpg").read_bytes()
    original.write_bytes(jpeg + b"appended motion-photo video")
    for index in range(1, count):
        os.link(original, root / f"beer{index:03}.jpg")
    return root


def _wait_for(condition, timeout: float = 120.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_terminated_scan_keeps_batches_and_next_run_finishes(mp, instance, tmp_path: Path):
    total = 150
    root = _big_library(tmp_path / "big", total)
    mp("library", "add", "big", str(root))
    catalog = open_catalog(settings.database_url())
    library = catalog.library("big")

    process = run_cli("run", env={"MEDIA_PIPELINE_SCAN_BATCH_SIZE": "5"})
    try:
        _wait_for(lambda: catalog.count_files(library.id) >= 10, what="the first batches")
        [record] = instance.get_run_records(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
        )
        run_id = record.dagster_run.run_id
        # What the UI's "Terminate" button does.
        instance.run_coordinator.cancel_run(run_id)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED
    kept = catalog.count_files(library.id)
    assert 10 <= kept < total, stderr

    mp("run")
    materialization = instance.get_latest_materialization_event(dg.AssetKey("media_catalog"))
    metadata = materialization.asset_materialization.metadata
    assert (metadata["new"].value, metadata["unchanged"].value) == (total - kept, kept)
    assert catalog.count_files(library.id) == total


def test_two_scans_of_one_library_at_once_do_not_duplicate_rows(mp, instance, tmp_path: Path):
    total = 40
    root = _big_library(tmp_path / "shared", total)
    mp("library", "add", "shared", str(root))
    first = run_cli("run", "--library", "shared")
    second = run_cli("run", "--library", "shared")
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert first.returncode == 0, outputs[0][1]
    assert second.returncode == 0, outputs[1][1]
    catalog = open_catalog(settings.database_url())
    library = catalog.library("shared")
    with catalog.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(
            text("SELECT count(*), count(DISTINCT rel_path) FROM media_files WHERE library_id=:l"),
            {"l": library.id},
        ).one()
    assert tuple(rows) == (total, total)
    runs = instance.get_run_records(filters=dg.RunsFilter(job_name="library_pipeline"))
    assert len(runs) == 2
    assert {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
