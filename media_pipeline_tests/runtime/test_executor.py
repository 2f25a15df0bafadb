"""Launched runs through Dagster's own run worker (`dagster api execute_run`, what launchers
start): their steps execute in the run's process by default, Dagster's multiprocess executor
when the setting asks for it, and a terminated run leaves a wait for a paused pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import serialize_value

from media_pipeline.distributed.executor import configured_executor
from media_pipeline.distributed.runs import create_reconstructable_run
from media_pipeline_tests.images import make_jpeg


def _wait_for(condition: Callable[[], object], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _library(mp, root: Path, name: str) -> None:
    for index in range(3):
        make_jpeg(root / f"IMG_{index}.jpg", color=(60 * index, 100, 30))
    mp("library", "add", name, str(root))


def _launch(
    instance: dg.DagsterInstance, job_name: str, library: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """A run of ``job_name`` for ``library`` executed as a run launcher starts it."""
    from media_pipeline.definitions import defs

    job = defs.resolve_job_def(job_name)
    run, _ = create_reconstructable_run(instance, job, tags={}, partition=library)
    args = ExecuteRunArgs(
        job_origin=run.job_code_origin, run_id=run.run_id, instance_ref=instance.get_ref()
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "api", "execute_run", serialize_value(args)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, run.run_id


def _engine_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
    return [record.event_log_entry.user_message for record in records.records]


@pytest.mark.parametrize(
    ("setting", "engine"),
    [(None, "Executing steps in process"), ("multiprocess", "using multiprocess executor")],
)
def test_a_launched_run_executes_its_steps_as_the_setting_says(
    mp, instance, tmp_path: Path, setting: str | None, engine: str
) -> None:
    _library(mp, tmp_path / "photos", "lib")
    env = {"MEDIA_PIPELINE_EXECUTOR": setting} if setting else None
    process, run_id = _launch(instance, "scan_library", "lib", env)
    _, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
    assert any(engine in message for message in _engine_messages(instance, run_id))
    [listed] = mp.json("library", "list")
    assert listed["files"] == 3


def test_an_unknown_executor_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDIA_PIPELINE_CELERY_BROKER", raising=False)
    monkeypatch.setenv("MEDIA_PIPELINE_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="in_process or multiprocess, got 'threads'"):
        configured_executor()


def test_terminating_a_launched_run_ends_its_wait_for_a_paused_pool(
    mp, instance, tmp_path: Path
) -> None:
    _library(mp, tmp_path / "photos", "held")
    mp("pause", "ml")
    process, run_id = _launch(instance, "library_pipeline", "held")
    try:

        def waiting() -> bool:
            assert process.poll() is None, process.communicate()
            [ml] = mp.json("concurrency", "ml")
            return bool(ml["waiting"])

        _wait_for(waiting, "the run's ML step to wait for a slot")
        # What the UI's Terminate does with the default run launcher: the run is marked
        # CANCELING and its process interrupted (Dagster's termination thread).
        instance.report_run_canceling(instance.get_run_by_id(run_id))
        os.kill(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED, stderr
    thumbnails = instance.get_latest_materialization_event(dg.AssetKey("thumbnails"))
    assert thumbnails is not None and thumbnails.run_id == run_id  # what ran is kept
    assert instance.get_latest_materialization_event(dg.AssetKey("clip_embeddings")) is None
