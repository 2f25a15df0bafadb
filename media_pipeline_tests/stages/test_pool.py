"""`work_many`: worker processes, crash isolation, bounded memory, cancellation.

The functions ``crash_on_request`` and ``slow_render`` are functions for the pool's
``function`` parameter: the spawned workers import them from this module by name, so the
production render function has no test hook in it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from media_pipeline.stages import pool
from media_pipeline.stages.pool import ItemError, work_many
from media_pipeline.thumbnails.render import Rendered, RenderSettings, render
from media_pipeline_tests.conftest import IMMICH

HERE = "media_pipeline_tests.stages.test_pool"
RENDER = "media_pipeline.thumbnails.render:render"
SMALL = [
    IMMICH / "albums" / "nature" / name
    for name in ("el_torcal_rocks.jpg", "notocactus_minimus.jpg", "silver_fir.jpg")
] + [IMMICH / "formats" / "webp" / "denali.webp", IMMICH / "formats" / "png" / "density_plot.png"]


def crash_on_request(path: str, settings: RenderSettings) -> Rendered:
    """Renders normally, except that a path naming a crash kills the worker the way a
    decoder bug or the OOM killer would."""
    name = os.path.basename(path)
    if name.startswith("segfault"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("exit"):
        os._exit(3)
    if name.startswith("bug"):
        raise KeyError("a bug in a renderer")
    return render(path, settings)


def slow_render(path: str, settings: RenderSettings) -> Rendered:
    """Renders normally, except that a path naming slowness takes a minute, and then leaves a
    mark in the folder SLOW_RENDER_MARKS names (if set): a worker that was stopped leaves none."""
    name = os.path.basename(path)
    if name.startswith("slow"):
        time.sleep(60)
        marks = os.environ.get("SLOW_RENDER_MARKS")
        if marks:
            Path(marks, name).touch()
    return render(path, settings)


def worker_pid(path: str, settings: object) -> int:
    """Which worker process did the job."""
    return os.getpid()


@pytest.fixture(autouse=True)
def _no_idle_pool_between_tests() -> Iterator[None]:
    pool.close_idle_pool()
    yield
    pool.close_idle_pool()


def _jobs(paths: list[Path | str]) -> list[tuple[int, str]]:
    return [(index, str(path)) for index, path in enumerate(paths)]


def _no_children_left() -> bool:
    """Every worker stopped once the idle pool (kept for a next batch) is closed."""
    pool.close_idle_pool()
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


def test_every_job_comes_back_once_with_its_result(tmp_path: Path) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    paths = [*SMALL, *SMALL, tmp_path / "bad.jpg", tmp_path / "gone.jpg"]
    results = dict(work_many(_jobs(paths), RenderSettings(), 2, RENDER))
    assert sorted(results) == list(range(len(paths)))
    for index, path in enumerate(paths):
        if index < 2 * len(SMALL):
            assert isinstance(results[index], Rendered)
            assert results[index] == render(str(path))
    assert isinstance(results[len(paths) - 2], ItemError)
    assert isinstance(results[len(paths) - 1], FileNotFoundError)
    assert _no_children_left()


def test_a_crashing_worker_costs_one_job_and_the_rest_goes_on(tmp_path: Path) -> None:
    good = str(SMALL[0])
    paths = [good, "segfault-1.jpg", good, good, "exit-2.jpg", good, "bug.jpg", good, good]
    results = dict(work_many(_jobs(paths), RenderSettings(), 2, f"{HERE}:crash_on_request"))
    assert sorted(results) == list(range(len(paths)))
    assert str(results[1]) == "worker crashed on this file: killed by SIGSEGV"
    assert str(results[4]) == "worker crashed on this file: exited with code 3"
    assert isinstance(results[6], ItemError)
    assert str(results[6]) == "worker failed: KeyError: 'a bug in a renderer'"
    for index in (0, 2, 3, 5, 7, 8):
        assert isinstance(results[index], Rendered)
    assert _no_children_left()


def test_in_process_rendering_without_a_pool(tmp_path: Path) -> None:
    paths = [SMALL[0], "bug.jpg", tmp_path / "gone.jpg"]
    results = dict(work_many(_jobs(paths), RenderSettings(), 1, f"{HERE}:crash_on_request"))
    assert isinstance(results[0], Rendered)
    assert str(results[1]) == "worker failed: KeyError: 'a bug in a renderer'"
    assert isinstance(results[2], FileNotFoundError)
    assert not multiprocessing.active_children()


def test_jobs_are_taken_only_as_workers_need_them() -> None:
    taken = 0

    def jobs() -> Iterator[tuple[int, str]]:
        nonlocal taken
        for index in range(40):
            taken += 1
            yield index, str(SMALL[index % len(SMALL)])

    done = 0
    for _key, result in work_many(jobs(), RenderSettings(), 2, RENDER):
        done += 1
        assert isinstance(result, Rendered)
        assert taken - done <= 2 * 2  # in flight: at most two per worker
    assert done == taken == 40


def test_closing_early_stops_the_workers_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOW_RENDER_MARKS", str(tmp_path))  # the spawned workers inherit it
    jobs = _jobs([SMALL[0], "slow-1.jpg", "slow-2.jpg", "slow-3.jpg", "slow-4.jpg"])
    results = work_many(jobs, RenderSettings(), 2, f"{HERE}:slow_render")
    key, result = next(results)  # the one quick job; both workers then sit on slow ones
    assert key == 0 and isinstance(result, Rendered)
    results.close()  # a cancelled run
    # Waiting for the workers would have let them finish their slow jobs and leave marks.
    assert list(tmp_path.iterdir()) == []
    assert _no_children_left()


def test_a_renderer_that_cannot_be_imported_fails_the_call() -> None:
    with pytest.raises(RuntimeError, match="cannot start"):
        list(work_many(_jobs(SMALL), RenderSettings(), 2, "no_such_module:render"))
    assert _no_children_left()
    with pytest.raises(ModuleNotFoundError):
        list(work_many(_jobs(SMALL), RenderSettings(), 1, "no_such_module:render"))


def test_a_hung_job_times_out_and_the_rest_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool, "JOB_TIMEOUT", 2.0)  # enforced by the caller's side
    paths = [SMALL[0], "slow-1.jpg", SMALL[1], SMALL[2], SMALL[3]]
    results = dict(work_many(_jobs(paths), RenderSettings(), 2, f"{HERE}:slow_render"))
    assert sorted(results) == list(range(len(paths)))
    assert str(results[1]) == "worker timed out on this file (after 2 s)"
    assert all(isinstance(results[i], Rendered) for i in (0, 2, 3, 4))
    assert _no_children_left()


def test_no_jobs_start_no_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """An up-to-date library (the common sensor-triggered run) pays no process start-up."""

    def no_pool(*args: object) -> None:
        raise AssertionError("a pool was started for no work")

    monkeypatch.setattr(pool, "_Pool", no_pool)
    assert list(work_many(iter([]), RenderSettings(), 4, RENDER)) == []


def test_the_next_batch_of_the_same_work_takes_the_idle_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Batch steps after the first (on a Celery worker, in an embedded run) pay no start-up;
    other settings start other workers, and an idle pool stops after IDLE_SECONDS."""
    jobs = _jobs(["a.jpg"] * 8)
    first = set(dict(work_many(jobs, RenderSettings(), 2, f"{HERE}:worker_pid")).values())
    again = set(dict(work_many(jobs, RenderSettings(), 2, f"{HERE}:worker_pid")).values())
    assert len(first) == 2 and again == first
    other = RenderSettings(preview_size=720)
    changed = set(dict(work_many(jobs, other, 2, f"{HERE}:worker_pid")).values())
    assert changed.isdisjoint(first)
    assert {child.pid for child in multiprocessing.active_children()} == changed
    monkeypatch.setattr(pool, "IDLE_SECONDS", 0.2)
    list(work_many(jobs, other, 2, f"{HERE}:worker_pid"))
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children()


def test_an_idle_worker_that_died_is_replaced_without_blaming_a_job() -> None:
    jobs = _jobs(["a.jpg"] * 6)
    first = set(dict(work_many(jobs, RenderSettings(), 2, f"{HERE}:worker_pid")).values())
    victim = min(first)
    os.kill(victim, signal.SIGKILL)  # the OOM killer, while the pool waited
    deadline = time.monotonic() + 10
    while any(c.pid == victim for c in multiprocessing.active_children()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    results = dict(work_many(jobs, RenderSettings(), 2, f"{HERE}:worker_pid"))
    assert all(isinstance(pid, int) for pid in results.values())
    assert victim not in results.values() and len(set(results.values())) == 2
