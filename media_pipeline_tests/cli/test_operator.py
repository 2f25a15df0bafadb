"""The operator's commands through the CLI: pause and resume (a run's ML steps wait, then
finish), cancel in its three scopes, run priority and tags, concurrency, status."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteRepositoryOrigin
from dagster._core.run_coordinator import SubmitRunContext
from dagster._core.storage.tags import PRIORITY_TAG, REPOSITORY_LABEL_TAG
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from sqlalchemy import func, select

from media_pipeline import settings
from media_pipeline.catalog.schema import clip_embeddings, thumbnails
from media_pipeline.catalog.store import open_catalog
from media_pipeline.operations.run_tags import LOCATION, REPOSITORY, REPOSITORY_LABEL
from media_pipeline.runtime.tags import LIBRARY, SCAN, TRIGGER
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.corpus import IMMICH
from media_pipeline_tests.images import make_jpeg

PHOTOS = 3


def _wait_for(condition: Callable[[], object], what: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _photos(root: Path) -> Path:
    for index in range(PHOTOS):
        make_jpeg(root / f"IMG_{index}.jpg", color=(60 * index, 100, 30))
    return root


def _materialized(instance: dg.DagsterInstance, asset: str, run_id: str) -> bool:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    return event is not None and event.run_id == run_id


@pytest.fixture
def held_run(mp, instance, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """A `run` of library "held" (in its own process) whose ML steps wait: `ml` is paused."""
    mp("library", "add", "held", str(_photos(tmp_path / "held")))
    assert [p["pool"] for p in mp.json("pause", "ml")["pools"]] == ["ml"]
    process = run_cli("run", "--library", "held", "--priority", "7")
    try:

        def waiting_run() -> str | None:
            [ml] = mp.json("concurrency", "ml")
            started = instance.get_run_records(
                dg.RunsFilter(job_name="library_pipeline", statuses=[dg.DagsterRunStatus.STARTED])
            )
            assert process.poll() is None, process.communicate()
            return started[0].dagster_run.run_id if started and ml["waiting"] else None

        _wait_for(waiting_run, "the run's ML step to wait for a slot")
        yield process, waiting_run()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_pause_ml_holds_the_ml_steps_and_resume_lets_them_finish(mp, instance, held_run):
    process, run_id = held_run
    assert _materialized(instance, "thumbnails", run_id)
    time.sleep(2)  # it stays held
    assert not _materialized(instance, "clip_embeddings", run_id)
    assert "ml paused since" in mp("status").stdout
    status = mp.json("status")
    assert list(status["paused"]) == ["ml"]
    [running] = status["running"]
    assert (running["run_id"], running["job"], running["library"]) == (
        run_id,
        "library_pipeline",
        "held",
    )
    assert (running["trigger"], running["priority"]) == ("cli", 7)
    tags = instance.get_run_by_id(run_id).tags
    assert tags[REPOSITORY_LABEL_TAG] == REPOSITORY_LABEL  # on the job's page in the UI
    assert status["figures"]["running"] == 1
    assert status["pending"]["held"]["clip"] == PHOTOS  # the backlog the paused stage holds

    resumed = mp.json("resume", "ml")
    assert resumed["pools"][0]["limit"] == 1 and resumed["pools"][0]["paused_since"] is None
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert _materialized(instance, "clip_embeddings", run_id)
    assert _materialized(instance, "face_detections", run_id)
    store = open_catalog(settings.database_url())
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(clip_embeddings)).scalar() == PHOTOS
    after = mp.json("status")
    assert after["paused"] == {} and after["running"] == []
    assert after["pending"]["held"] == {"thumbnails": 0, "clip": 0, "faces": 0}
    assert mp("status").stdout.count("paused since") == 0


def _queued(
    instance: dg.DagsterInstance, library: str, assets: set[dg.AssetKey] | None = None
) -> dg.DagsterRun:
    """A run submitted to the instance's queue as the UI does: library_pipeline as the
    Launchpad sends it, or with `assets` the asset graph's Materialize button (Dagster's
    implicit asset job)."""
    from media_pipeline.definitions import defs

    job = (
        defs.resolve_implicit_global_asset_job_def()
        if assets
        else defs.resolve_job_def("library_pipeline")
    )
    location = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="media_pipeline.definitions"), location_name=LOCATION
    )
    run = instance.create_run_for_job(
        job,
        tags={"dagster/partition": library},
        asset_selection=assets,
        remote_job_origin=RemoteRepositoryOrigin(location, REPOSITORY).get_job_origin(job.name),
    )
    return instance.run_coordinator.submit_run(SubmitRunContext(run, workspace=None))


def _rendered() -> int:
    with open_catalog(settings.database_url()).engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(thumbnails)).scalar()


def test_pause_scan_holds_a_running_thumbnails_batch_between_files(mp, instance, tmp_path):
    """Thumbnails' batch steps take no pool (so they spread over every worker): a pause of
    `scan` holds a running batch after its current file, with its work committed."""
    root = tmp_path / "big"
    root.mkdir()
    original = (IMMICH / "albums" / "text" / "craft-beer.jpg").read_bytes()
    total = 40
    for index in range(total):  # real-size photos, each a distinct content
        (root / f"DSC_{index}.jpg").write_bytes(original + f"copy {index}".encode())
    mp("library", "add", "big", str(root))
    mp("run", "--select", "media_catalog")
    mp("pause", "scan")
    process = run_cli("run", "--select", "thumbnails")
    try:

        def held() -> str | None:
            assert process.poll() is None, process.communicate()
            [record] = instance.get_run_records(
                dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
            ) or [None]
            if record is None:
                return None
            logs = [entry.user_message for entry in instance.all_logs(record.dagster_run.run_id)]
            return (
                record.dagster_run.run_id
                if any("paused (pool render)" in m for m in logs)
                else None
            )

        _wait_for(held, "the thumbnails batch to wait")
        kept = _rendered()
        time.sleep(3)  # it stays held, what it did committed
        assert 0 < kept == _rendered() < total
        mp("resume", "scan")
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert _rendered() == total


def test_cancel_one_run_a_library_or_everything(mp, instance, held_run, tmp_path: Path):
    process, held = held_run
    first, second, other = _queued(instance, "a"), _queued(instance, "a"), _queued(instance, "b")
    # The queue gave the UI's runs the tags the CLI's have.
    assert {k: first.tags.get(k) for k in (LIBRARY, TRIGGER, PRIORITY_TAG, SCAN)} == {
        LIBRARY: "a",
        TRIGGER: "ui",
        PRIORITY_TAG: "10",
        SCAN: "a",
    }
    assert mp.json("status")["figures"]["backlog"]["queued_runs"] == 3

    [one] = mp.json("cancel", first.run_id[:8])
    assert (one["run_id"], one["was"], one["status"]) == (first.run_id, "QUEUED", "CANCELED")
    assert mp("cancel", first.run_id, ok=False).exit_code == 1  # already canceled: says so

    [library] = mp.json("cancel", "--library", "a")
    assert (library["run_id"], library["status"]) == (second.run_id, "CANCELED")
    assert instance.get_run_by_id(other.run_id).status == dg.DagsterRunStatus.QUEUED

    everything = {o["run_id"]: o for o in mp.json("cancel", "--all")}
    assert set(everything) == {other.run_id, held}
    assert everything[other.run_id]["status"] == "CANCELED"
    assert everything[held]["status"] in ("CANCELING", "CANCELED")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0 and "CANCELED" in stderr, stderr
    assert instance.get_run_by_id(held).status == dg.DagsterRunStatus.CANCELED
    assert _materialized(instance, "thumbnails", held)  # committed work is kept
    for path in sorted((tmp_path / "held").iterdir()):
        assert Path(mp.json("info", str(path))["preview_path"]).is_file()

    recent = {r["run_id"]: r["status"] for r in mp.json("status")["recent"]}
    assert {recent[r] for r in (first.run_id, second.run_id, other.run_id, held)} == {"CANCELED"}
    assert mp("cancel", ok=False).exit_code == 2  # one scope must be given
    assert mp.json("cancel", "--all") == []


def test_concurrency_shows_and_sets_pool_limits(mp, instance) -> None:
    pools = {p["pool"]: p for p in mp.json("concurrency")}
    assert set(pools) >= {"scan", "render", "ml", "video"}
    assert pools["ml"]["limit"] == 1 and pools["ml"]["from_default"]  # dagster.yaml's default
    [ml] = mp.json("concurrency", "ml", "3")
    assert (ml["limit"], ml["from_default"]) == (3, False)
    assert instance.event_log_storage.get_concurrency_info("ml").slot_count == 3

    mp("pause", "all")
    assert set(mp.json("status")["paused"]) == {"scan", "ml", "video", "all"}
    [paused] = mp.json("concurrency", "ml", "2")  # stays paused, gets 2 back on resume
    assert (paused["limit"], paused["resume_limit"]) == (0, 2)
    resumed = {p["pool"]: p["limit"] for p in mp.json("resume")["pools"]}
    assert resumed == {"scan": 1, "render": 1, "ml": 2, "video": 1}
    assert mp("concurrency", "ml", "-1", ok=False).exit_code == 2


def test_ui_materialize_runs_are_named_by_their_assets_and_tagged(mp, instance) -> None:
    run = _queued(instance, "photos", {dg.AssetKey("thumbnails")})
    assert run.job_name.startswith("__ASSET_JOB")
    [queued] = mp.json("status")["queued"]
    assert (queued["job"], queued["library"], queued["trigger"], queued["priority"]) == (
        "materialize thumbnails",
        "photos",
        "ui",
        10,
    )
    assert SCAN not in instance.get_run_by_id(run.run_id).tags  # it does not scan
    [cancelled] = mp.json("cancel", "--library", "photos")
    assert cancelled["status"] == "CANCELED"
