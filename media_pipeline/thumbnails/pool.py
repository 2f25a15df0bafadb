"""Rendering many files in worker processes, surviving decoder crashes.

Each worker is a process of its own with a pipe to the caller, and the caller knows which
jobs each worker holds (at most two: one rendering, one waiting, so no worker idles while
the caller reads a result). A worker that dies (a segfault in a decoder, the OOM killer)
takes exactly one job with it: the first one it held, which becomes a
``RenderError("renderer crashed ...")``; its waiting job goes to another worker and a fresh
worker takes its place. ``concurrent.futures.ProcessPoolExecutor`` cannot do this: one
dead worker breaks the whole pool and fails every pending future, without saying which
job killed it.

Start method: "spawn". The caller runs inside Dagster, whose step process has threads
(gRPC, log handlers, the SQLAlchemy pool), and forking a multithreaded process can copy a
lock that some thread holds at that instant, deadlocking the child ("fork" is out).
"forkserver" is safe too, but its server is process-global state shared with every other
user of multiprocessing in the process (``set_forkserver_preload``, Dagster's own
multiprocess executor), and it buys little: measured on the 2-core development machine
(``bench/thumbnails.py --startup``, 2 workers until both rendered a small JPEG), spawn
0.28 s, forkserver 0.23 s, fork 0.06 s, once per run (and per crashed worker), next to
about 0.1 s of work per photo per core. Workers ignore SIGINT (Ctrl-C is the caller's to
handle) and exit when the caller's end of their pipe closes.

A job that takes longer than ``JOB_TIMEOUT`` (a decoder stuck in a loop) has its worker
killed, and is reported like a crash.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import multiprocessing
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from media_pipeline.thumbnails.render import Rendered, RenderError, RenderSettings

__all__ = ["DEFAULT_RENDERER", "START_METHOD", "render_many"]

K = TypeVar("K")
Result = Rendered | RenderError | OSError

DEFAULT_RENDERER = "media_pipeline.thumbnails.render:render"
START_METHOD = "spawn"
JOBS_PER_WORKER = 2  # in flight: one rendering, one queued in its pipe
JOB_TIMEOUT = 300.0  # seconds one file may take before its worker is killed (a hung decoder)
_MAX_START_FAILURES = 3  # workers in a row dying before they are ready: give up
_STOP_TIMEOUT = 5.0  # seconds a worker may take to exit after the last job


def resolve_renderer(spec: str) -> Callable[[str, RenderSettings], Rendered]:
    """The callable named by "package.module:function"."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"renderer must be 'module:function', not {spec!r}")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise TypeError(f"renderer {spec!r} is not callable")
    return function


def _render_one(
    renderer: Callable[[str, RenderSettings], Rendered], path: str, settings: RenderSettings
) -> Result:
    """A renderer's result or its error; a bug (any other exception) becomes a RenderError,
    so one odd file never stops the run."""
    try:
        return renderer(path, settings)
    except (RenderError, OSError) as exc:
        return exc
    except MemoryError:
        return RenderError("renderer ran out of memory")
    except Exception as exc:
        return RenderError(f"renderer failed: {type(exc).__name__}: {exc}")


def render_many(
    jobs: Iterable[tuple[K, str]],
    settings: RenderSettings,
    workers: int,
    renderer: str = DEFAULT_RENDERER,
) -> Iterator[tuple[K, Result]]:
    """Render ``(key, path)`` jobs, yielding ``(key, result)`` as results come (any order).

    ``workers`` <= 1 renders in this process, without a pool. Otherwise ``workers``
    processes render, with at most ``JOBS_PER_WORKER * workers`` jobs taken from ``jobs``
    at any time, so memory stays flat however long it is. A worker that dies makes its
    job a RenderError("renderer crashed ...") and is replaced; the rest goes on. Closing
    the generator early (a cancelled run) stops the workers without waiting for their
    jobs. A job that takes longer than ``JOB_TIMEOUT`` (a hung decoder) has its worker
    killed and becomes a RenderError("renderer timed out ..."). ``renderer`` names the
    render function ("module:function"; tests point it at functions that crash).
    """
    if workers <= 1:
        function = resolve_renderer(renderer)
        for key, path in jobs:
            yield key, _render_one(function, path, settings)
        return
    pending = iter(jobs)
    first = next(pending, None)
    if first is None:  # nothing to do: no process start-up for an up-to-date library
        return
    pool = _Pool(workers, settings, renderer)
    try:
        yield from pool.run(itertools.chain([first], pending))
    finally:
        pool.close()


# --- the worker process ------------------------------------------------------------------


def _worker_main(conn: Connection, renderer: str, settings: RenderSettings) -> None:
    """Runs in the worker: render each (job id, path) received, until None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    try:
        function = resolve_renderer(renderer)
    except BaseException:
        conn.send(("fatal", traceback.format_exc()))
        return
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the caller is gone
            return
        if message is None:
            return
        job_id, path = message
        result = _render_one(function, path, settings)
        try:
            conn.send(("done", (job_id, result)))
        except (BrokenPipeError, OSError):
            return


# --- the caller's side -------------------------------------------------------------------


@dataclass
class _Job:
    id: int
    key: Any
    path: str


@dataclass
class _Worker:
    process: Any
    conn: Connection
    jobs: deque[_Job] = field(default_factory=deque)
    ready: bool = False
    started: float = 0.0  # monotonic time its first job (jobs[0]) started


class _WorkerDied(Exception):
    pass


class _Pool:
    def __init__(self, size: int, settings: RenderSettings, renderer: str) -> None:
        self.size = size
        self.settings = settings
        self.renderer = renderer
        self.context = multiprocessing.get_context(START_METHOD)
        self.workers: list[_Worker] = []
        self.retry: deque[_Job] = deque()  # jobs of dead workers that never started
        self.start_failures = 0
        self.next_id = 0

    def _start_worker(self) -> _Worker:
        parent, child = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=_worker_main,
            args=(child, self.renderer, self.settings),
            name="thumbnail-renderer",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def run(self, jobs: Iterator[tuple[Any, str]]) -> Iterator[tuple[Any, Result]]:
        for _ in range(self.size):
            self._start_worker()
        exhausted = False
        while True:
            # Hand out work: each worker holds up to JOBS_PER_WORKER jobs.
            for worker in list(self.workers):
                while len(worker.jobs) < JOBS_PER_WORKER:
                    job = self._next_job(jobs) if not exhausted or self.retry else None
                    if job is None:
                        exhausted = True
                        break
                    if not worker.jobs:
                        worker.started = time.monotonic()
                    worker.jobs.append(job)
                    try:
                        worker.conn.send((job.id, job.path))
                    except OSError:
                        break  # it died: noticed below through its sentinel
            if not any(worker.jobs for worker in self.workers):
                return
            # Wait for a result or a death.
            handles: list[Any] = []
            for worker in self.workers:
                handles += [worker.conn, worker.process.sentinel]
            busy = [w.started for w in self.workers if w.jobs and w.ready]
            timeout = max(0.0, min(busy) + JOB_TIMEOUT - time.monotonic()) if busy else None
            ready = set(wait(handles, timeout))
            for worker in list(self.workers):
                if worker.conn in ready:
                    try:
                        yield from self._drain(worker)
                    except _WorkerDied:
                        yield from self._replace(worker)
                        continue
                if worker.process.sentinel in ready:
                    yield from self._replace(worker)
                elif (
                    worker.ready
                    and worker.jobs
                    and time.monotonic() - worker.started >= JOB_TIMEOUT
                ):
                    slow = worker.jobs[0].id
                    worker.process.kill()
                    yield from self._replace(worker, timed_out=slow)

    def _next_job(self, jobs: Iterator[tuple[Any, str]]) -> _Job | None:
        if self.retry:
            return self.retry.popleft()
        try:
            key, path = next(jobs)
        except StopIteration:
            return None
        self.next_id += 1
        return _Job(self.next_id, key, path)

    def _drain(self, worker: _Worker) -> Iterator[tuple[Any, Result]]:
        """Every message the worker has sent; _WorkerDied at end of file."""
        while worker.conn.poll():
            try:
                kind, payload = worker.conn.recv()
            except (EOFError, OSError):
                raise _WorkerDied from None
            if kind == "ready":
                worker.ready = True
                worker.started = time.monotonic()  # start-up is not the job's time
                self.start_failures = 0
            elif kind == "fatal":
                raise RuntimeError(f"thumbnail renderer {self.renderer!r} cannot start:\n{payload}")
            else:
                job_id, result = payload
                job = worker.jobs.popleft()
                assert job.id == job_id, "a worker answered out of order"
                worker.started = time.monotonic()  # the next job starts now
                yield job.key, result

    def _replace(
        self, worker: _Worker, timed_out: int | None = None
    ) -> Iterator[tuple[Any, Result]]:
        """A worker's process ended (or was killed for taking too long on job ``timed_out``):
        deliver what it sent, blame its current job, requeue the job it had not started,
        and start another worker in its place."""
        with contextlib.suppress(_WorkerDied):
            yield from self._drain(worker)
        worker.process.join(timeout=_STOP_TIMEOUT)
        self.workers.remove(worker)
        worker.conn.close()
        jobs = list(worker.jobs)
        if not worker.ready:
            # Died before it could render anything: not the jobs' fault.
            self.start_failures += 1
            if self.start_failures >= _MAX_START_FAILURES:
                raise RuntimeError(
                    f"thumbnail workers die at start-up (exit code {worker.process.exitcode})"
                )
            self.retry.extendleft(reversed(jobs))
        elif timed_out is not None:
            if jobs and jobs[0].id == timed_out:  # (else it finished just in time)
                yield (
                    jobs.pop(0).key,
                    RenderError(f"renderer timed out on this file (after {JOB_TIMEOUT:g} s)"),
                )
            self.retry.extendleft(reversed(jobs))
        elif jobs:
            crashed, rest = jobs[0], jobs[1:]
            self.retry.extendleft(reversed(rest))
            yield crashed.key, RenderError(_crash_message(worker.process.exitcode))
        self._start_worker()

    def close(self) -> None:
        """Stop every worker: idle ones are told to exit, busy ones are terminated (a
        cancelled run must not wait for their jobs)."""
        for worker in self.workers:
            if worker.jobs:
                worker.process.terminate()
            else:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in self.workers:
            worker.process.join(timeout=_STOP_TIMEOUT)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self.workers.clear()


def _crash_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"renderer crashed on this file: killed by {name}{hint}"
    return f"renderer crashed on this file: exited with code {exitcode}"
