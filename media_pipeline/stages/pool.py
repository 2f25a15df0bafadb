"""Running one function over many items in worker processes, surviving crashes.

The stages (the scan's describing, thumbnails, CLIP decoding, face detection, and whatever
comes next) hand their per-file work to ``work_many``: the function runs in worker
processes, named as "package.module:function" so a spawned worker can import it, and called
as ``function(path, settings)``.

Each worker is a process of its own with a pipe to the caller, and the caller knows which
jobs each worker holds (at most two: one working, one waiting, so no worker idles while
the caller reads a result). A worker that dies (a segfault in a decoder, the OOM killer)
takes exactly one job with it: the first one it held, which becomes an
``ItemError("worker crashed ...")``; its waiting job goes to another worker and a fresh
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
0.28 s, forkserver 0.23 s, fork 0.06 s, once per batch (and per crashed worker), next to
about 0.1 s of work per photo per core. Workers ignore SIGINT (Ctrl-C is the caller's to
handle) and exit when the caller's end of their pipe closes.

A job that takes longer than ``JOB_TIMEOUT`` (a decoder stuck in a loop) has its worker
killed, and is reported like a crash.

A pool that finished its jobs is kept for ``IDLE_SECONDS``: the next batch of the same work
in this process (the next batch step on a Celery worker, or in an embedded run) takes it
instead of starting workers again, which spares every batch after the first its start-up
(0.3 s of wall time for 2 thumbnail workers, longer for workers that load a model). Work of
another kind closes it first, so one idle pool at most holds memory.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import multiprocessing
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

__all__ = ["START_METHOD", "ItemError", "close_idle_pool", "resolve_function", "work_many"]

K = TypeVar("K")
Result = Any  # what the function returns, an ItemError or an OSError
START_METHOD = "spawn"
JOBS_PER_WORKER = 2  # in flight: one rendering, one queued in its pipe
JOB_TIMEOUT = 300.0  # seconds one file may take before its worker is killed (a hung decoder)
_MAX_START_FAILURES = 3  # workers in a row dying before they are ready: give up
_STOP_TIMEOUT = 5.0  # seconds a worker may take to exit after the last job
IDLE_SECONDS = 30.0  # a finished pool waits this long for the next batch of the same work


class ItemError(Exception):
    """An item the function cannot process; ``str(e)`` is a clear message for the user (the
    errors ledger). Stages raise subclasses (RenderError); failures to read stay OSError."""


def resolve_function(spec: str) -> Callable[[str, Any], Any]:
    """The callable named by "package.module:function"."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"worker function must be 'module:function', not {spec!r}")
    function = getattr(importlib.import_module(module_name), attribute)
    if not callable(function):
        raise TypeError(f"worker function {spec!r} is not callable")
    return function


def _work_one(function: Callable[[str, Any], Any], path: str, settings: Any) -> Result:
    """The function's result or its error; a bug (any other exception) becomes an ItemError,
    so one odd file never stops the run."""
    try:
        return function(path, settings)
    except (ItemError, OSError) as exc:
        return exc
    except MemoryError:
        return ItemError("worker ran out of memory")
    except Exception as exc:
        return ItemError(f"worker failed: {type(exc).__name__}: {exc}")


def work_many(
    jobs: Iterable[tuple[K, str]],
    settings: Any,
    workers: int,
    function: str,
) -> Iterator[tuple[K, Result]]:
    """Run ``function`` ("module:function") on ``(key, path)`` jobs, yielding
    ``(key, result)`` as results come (any order).

    ``workers`` <= 1 works in this process, without a pool. Otherwise ``workers``
    processes work, with at most ``JOBS_PER_WORKER * workers`` jobs taken from ``jobs``
    at any time, so memory stays flat however long it is. A worker that dies makes its
    job an ItemError("worker crashed ...") and is replaced; the rest goes on. Closing
    the generator early (a cancelled run) stops the workers without waiting for their
    jobs. A job that takes longer than ``JOB_TIMEOUT`` (a hung decoder) has its worker
    killed and becomes an ItemError("worker timed out ..."). Tests point ``function`` at
    functions that crash.
    """
    if workers <= 1:
        call = resolve_function(function)
        for key, path in jobs:
            yield key, _work_one(call, path, settings)
        return
    pending = iter(jobs)
    first = next(pending, None)
    if first is None:  # nothing to do: no process start-up for an up-to-date library
        return
    key = (function, workers, settings)
    pool = _take_idle_pool(key) or _Pool(workers, settings, function)
    finished = False
    try:
        yield from pool.run(itertools.chain([first], pending))
        finished = True
    finally:
        if finished:
            _park(key, pool)
        else:  # closed early (a cancelled run) or failed: its workers may be busy or broken
            pool.close()


# --- the idle pool kept for the next batch -----------------------------------------------

_idle_lock = threading.Lock()
_idle: tuple[tuple[str, int, Any], _Pool, threading.Timer] | None = None


def _take_idle_pool(key: tuple[str, int, Any]) -> _Pool | None:
    """The idle pool if it does this work with these settings; another one is closed."""
    global _idle
    with _idle_lock:
        idle, _idle = _idle, None
    if idle is None:
        return None
    idle_key, pool, timer = idle
    timer.cancel()
    if idle_key == key:
        return pool
    pool.close()
    return None


def _park(key: tuple[str, int, Any], pool: _Pool) -> None:
    global _idle
    timer = threading.Timer(IDLE_SECONDS, _expire, args=(pool,))
    timer.daemon = True
    with _idle_lock:
        previous, _idle = _idle, (key, pool, timer)
    if previous is not None:
        previous[2].cancel()
        previous[1].close()
    timer.start()


def _expire(pool: _Pool) -> None:
    global _idle
    with _idle_lock:
        if _idle is None or _idle[1] is not pool:
            return  # taken again meanwhile
        _idle = None
    pool.close()


def close_idle_pool() -> None:
    """Stop the idle pool's workers now (tests; a process about to wait a long time)."""
    global _idle
    with _idle_lock:
        idle, _idle = _idle, None
    if idle is not None:
        idle[2].cancel()
        idle[1].close()


# --- the worker process ------------------------------------------------------------------


def _worker_main(conn: Connection, function: str, settings: Any) -> None:
    """Runs in the worker: work on each (job id, path) received, until None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
    try:
        call = resolve_function(function)
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
        result = _work_one(call, path, settings)
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
    def __init__(self, size: int, settings: Any, function: str) -> None:
        self.size = size
        self.settings = settings
        self.function = function
        self.context = multiprocessing.get_context(START_METHOD)
        self.workers: list[_Worker] = []
        self.retry: deque[_Job] = deque()  # jobs of dead workers that never started
        self.start_failures = 0
        self.next_id = 0

    def _start_worker(self) -> _Worker:
        parent, child = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=_worker_main,
            args=(child, self.function, self.settings),
            name="stage-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def run(self, jobs: Iterator[tuple[Any, str]]) -> Iterator[tuple[Any, Result]]:
        for worker in list(self.workers):  # an idle pool's worker that died while it waited
            if not worker.process.is_alive():
                self.workers.remove(worker)
                worker.conn.close()
        while len(self.workers) < self.size:
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
                raise RuntimeError(f"worker function {self.function!r} cannot start:\n{payload}")
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
                    f"stage workers die at start-up (exit code {worker.process.exitcode})"
                )
            self.retry.extendleft(reversed(jobs))
        elif timed_out is not None:
            if jobs and jobs[0].id == timed_out:  # (else it finished just in time)
                yield (
                    jobs.pop(0).key,
                    ItemError(f"worker timed out on this file (after {JOB_TIMEOUT:g} s)"),
                )
            self.retry.extendleft(reversed(jobs))
        elif jobs:
            crashed, rest = jobs[0], jobs[1:]
            self.retry.extendleft(reversed(rest))
            yield crashed.key, ItemError(_crash_message(worker.process.exitcode))
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
        return f"worker crashed on this file: killed by {name}{hint}"
    return f"worker crashed on this file: exited with code {exitcode}"
