"""`media-pipeline run` as a user meets it: a model that cannot be had fails only what needs
it, in one line each with the fix; a run killed with -9 is failed, not left running; usage
errors exit 2."""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from pathlib import Path

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline.runtime import tags
from media_pipeline_tests.cli.test_cancel_and_concurrency import _big_library, _wait_for
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.conftest import IMMICH
from media_pipeline_tests.deploy.services import free_port

FIX = "media-pipeline run --select ml_models"


def _latest(instance: dg.DagsterInstance, asset: str) -> dg.EventLogEntry | None:
    return instance.get_latest_materialization_event(dg.AssetKey(asset))


def test_without_the_clip_model_everything_else_runs_and_each_failure_is_one_line(
    mp, instance, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    # Three byte-identical files (as in the corpus) and a different photo.
    shutil.copy(IMMICH / "albums" / "nature" / "el_torcal_rocks.jpg", root / "rocks.jpg")
    shutil.copy(IMMICH / "formats" / "jpg" / "el_torcal_rocks.jpg", root / "rocks-copy.jpg")
    shutil.copy(IMMICH / "formats" / "jpeg" / "el_torcal_rocks.jpeg", root / "rocks.jpeg")
    shutil.copy(IMMICH / "albums" / "nature" / "silver_fir.jpg", root / "fir.jpg")
    mp("library", "add", "photos", str(root))
    unreachable = {
        "MEDIA_PIPELINE_CLIP_MODEL": "",  # the default hub model, never downloaded here
        "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}",  # nothing listens: the hub is down
        "HF_HOME": str(tmp_path / "hf"),
    }

    process = run_cli("run", env=unreachable)
    stdout, stderr = process.communicate(timeout=600)

    assert process.returncode == 1, stdout + stderr
    lines = stderr.splitlines()
    assert len(lines) <= 40, stderr
    assert "Traceback" not in stderr
    [model_line] = [line for line in lines if line.startswith("clip_model: ")]
    assert "CLIP model 'openai/clip-vit-base-patch32'" in model_line
    assert "cannot be reached" in model_line
    assert "MEDIA_PIPELINE_CLIP_MODEL" in model_line and FIX in model_line
    failed = {line.split(":")[0] for line in lines[:-1]}
    assert failed == {"clip_model", "clip_embeddings (photos)", "search_index"}, stderr
    assert lines[-1].startswith("3 assets failed, 1 not run as they need one (duplicates)")
    for asset in ("media_catalog", "thumbnails", "face_detections", "exact_duplicates"):
        assert _latest(instance, asset) is not None, f"{asset} did not run: {stderr}"
    assert _latest(instance, "clip_embeddings") is None

    # Byte-identical files are an exact group without any model.
    [group] = mp.json("duplicates")
    assert group["kind"] == "exact"
    assert set(group["files"]) == {
        str(root / name) for name in ("rocks.jpg", "rocks-copy.jpg", "rocks.jpeg")
    }

    # `status` gives the whole reason, its fix included.
    failures = mp.json("status")["failed"]
    assert {run["job"] for run in failures} == {
        "models_pipeline",
        "library_pipeline",
        "collection_pipeline",
    }
    models = next(run for run in failures if run["job"] == "models_pipeline")
    assert models["error"].startswith("clip_model: CLIP model")
    assert models["error"].endswith(f"`{FIX}` with internet access.")

    # The traceback is behind --verbose (the run's log, as Dagster prints it).
    verbose = run_cli("run", "--select", "ml_models", "--verbose", env=unreachable)
    _, stderr = verbose.communicate(timeout=300)
    assert verbose.returncode == 1
    assert "Stack Trace:" in stderr and 'File "' in stderr and FIX in stderr


def test_usage_errors_exit_2(mp) -> None:
    mp("library", "add", "photos", str(IMMICH / "albums" / "nature"))
    assert mp("run", "--select", "no_such_asset", ok=False).exit_code == 2
    assert mp("run", "--library", "nowhere", ok=False).exit_code == 2


def test_a_run_killed_with_kill_9_is_failed_not_left_running(mp, instance, tmp_path: Path):
    total = 150
    mp("library", "add", "big", str(_big_library(tmp_path / "big", total)))
    catalog = open_catalog(settings.database_url())
    library = catalog.library("big")

    process = run_cli("run", "--library", "big", env={"MEDIA_PIPELINE_SCAN_BATCH_SIZE": "5"})
    try:
        _wait_for(
            lambda: catalog.count_files(library.id) >= 10, timeout=300, what="the first batches"
        )
        os.kill(process.pid, signal.SIGKILL)  # a crash, the OOM killer, a power cut
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    [record] = instance.get_run_records(filters=dg.RunsFilter(job_name="library_pipeline"))
    run_id = record.dagster_run.run_id
    assert record.dagster_run.status == dg.DagsterRunStatus.STARTED  # what Dagster left

    status = mp.json("status")  # the next command finds it dead
    assert status["running"] == []
    [failed] = [run for run in status["failed"] if run["run_id"] == run_id]
    assert f"pid {process.pid}" in failed["error"] and "is gone" in failed["error"]
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE

    # The next run resumes from the committed batches.
    mp("run", "--library", "big")
    assert catalog.count_files(library.id) == total


def test_a_run_on_another_host_is_failed_when_its_heartbeat_stops(mp, instance) -> None:
    def started_run(heartbeat: float) -> str:
        """A run as a CLI on another machine records it (its pid means nothing here)."""
        run = dg.DagsterRun(
            job_name="library_pipeline",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags={
                tags.HOST: "another-machine",
                tags.PID: "4242",
                tags.HEARTBEAT: str(int(heartbeat)),
            },
        )
        return instance.add_run(run).run_id

    silent = started_run(time.time() - 3600)
    beating = started_run(time.time())

    status = mp.json("status")
    assert [run["run_id"] for run in status["running"]] == [beating]
    [failed] = status["failed"]
    assert failed["run_id"] == silent
    assert "no heartbeat from its process (pid 4242 on another-machine)" in failed["error"]
