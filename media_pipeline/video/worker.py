"""Encoding in a child process that can be killed at once.

An encode takes minutes and FFmpeg cannot be interrupted from Python mid-call, so it runs
in a spawned process (a fork of Dagster's threaded step process could inherit a held lock,
see thumbnails/pool.py). The parent watches it: a terminated run kills it and deletes its
unfinished file, a child that stops making progress for longer than its timeout is killed,
a crash in a decoder becomes an error for this video alone. A child whose parent died
(SIGKILL leaves no time to clean up) stops by itself at its next progress report.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from media_pipeline.video.probe import VideoError
from media_pipeline.video.transcode import Encoded, EncodeJob, encode

START_METHOD = "spawn"
_REPORT_EVERY = 1.0  # seconds between the child's progress messages


@dataclass(frozen=True)
class Timeout:
    """An encode may take ``minimum`` seconds plus ``per_second`` for every second of video
    (the header's duration, or what it has encoded so far when a lying header said less)."""

    minimum: float = 120.0
    per_second: float = 20.0

    def limit(self, duration: float) -> float:
        return self.minimum + self.per_second * duration


DEFAULT_TIMEOUT = Timeout()


def _child(conn: Connection, job: EncodeJob, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C and termination are the parent's
    last = 0.0

    def report(seconds: float) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= _REPORT_EVERY:
            if os.getppid() != parent:
                Path(job.target).unlink(missing_ok=True)
                os._exit(1)
            conn.send(("progress", seconds))
            last = now

    try:
        result = encode(job, report)
    except VideoError as exc:
        conn.send(("failed", str(exc)))
    except MemoryError:
        conn.send(("failed", "encoder ran out of memory"))
    except Exception as exc:
        conn.send(("failed", f"encoder failed: {type(exc).__name__}: {exc}"))
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        conn.send(("done", dataclasses.replace(result, peak_memory_mb=round(peak, 1))))


def encode_in_child(
    job: EncodeJob,
    progress: Callable[[float], None] | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> Encoded:
    """Encode ``job`` in a child process; VideoError for bad input, a crash or a timeout.
    Whatever ends this call early (an exception, termination) kills the child and removes
    ``job.target``; on success the caller owns it."""
    context = multiprocessing.get_context(START_METHOD)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(sender, job, os.getpid()), name="video-encoder", daemon=True
    )
    done = 0.0
    finished = False
    process.start()
    sender.close()
    started = time.monotonic()
    try:
        while True:
            limit = timeout.limit(max(job.probe.duration, done))
            remaining = started + limit - time.monotonic()
            if remaining <= 0:
                raise VideoError(
                    f"encoder timed out after {limit:.0f} s ({done:.1f} s of "
                    f"{job.probe.duration:.1f} s encoded)"
                )
            ready = wait([receiver, process.sentinel], min(remaining, 5.0))
            if receiver in ready:
                try:
                    kind, payload = receiver.recv()
                except EOFError:  # it died without a word
                    process.join()
                    raise VideoError(_crash(process.exitcode)) from None
                if kind == "progress":
                    done = payload
                    if progress is not None:
                        progress(done)
                elif kind == "done":
                    finished = True
                    return payload
                else:
                    raise VideoError(payload)
            elif process.sentinel in ready and not receiver.poll():
                process.join()
                raise VideoError(_crash(process.exitcode))
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
        if not finished:
            Path(job.target).unlink(missing_ok=True)


def _crash(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"encoder crashed on this file: killed by {signal.Signals(-exitcode).name}"
    return f"encoder crashed on this file (exit code {exitcode})"
