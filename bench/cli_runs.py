"""`media-pipeline` as a user runs it, for the benchmarks: a new process on a home of its own,
timed from its start to its exit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def home_env(home: Path, checkout: Path = REPO) -> dict[str, str]:
    """The environment of a process on ``home`` (MEDIA_PIPELINE_HOME, DAGSTER_HOME under it,
    created) running ``checkout``'s code, on the embedded default: the caller's catalog URL
    and broker are left out, so fresh homes never share a database."""
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.update(MEDIA_PIPELINE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
    for name in ("MEDIA_PIPELINE_DATABASE_URL", "MEDIA_PIPELINE_CELERY_BROKER"):
        env.pop(name, None)
    # An installed program's modules load from cached bytecode; with this set (as on the
    # development machine) every run compiled the project's modules again (0.1 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed_cli(env: dict[str, str], *args: str) -> float:
    """Seconds of `media-pipeline ARGS` in a new process; its output when it fails."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "media_pipeline", *args],
        cwd=env["PYTHONPATH"],  # `python -m` puts the working directory first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"media-pipeline {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return seconds
