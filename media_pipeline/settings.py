"""Where data lives and the knobs users set through the environment.

Everything is read from the environment at call time (not import time) so tests and the CLI can
point one process at different homes.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = "~/.local/share/media-pipeline"


def media_home() -> Path:
    """MEDIA_PIPELINE_HOME: catalog (SQLite), thumbnails, models, backups."""
    return Path(os.environ.get("MEDIA_PIPELINE_HOME", DEFAULT_HOME)).expanduser().resolve()


def dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to $MEDIA_PIPELINE_HOME/dagster."""
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured).expanduser().resolve() if configured else media_home() / "dagster"


def database_url() -> str:
    """MEDIA_PIPELINE_DATABASE_URL (PostgreSQL in production) or the SQLite file in the home."""
    url = os.environ.get("MEDIA_PIPELINE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{media_home() / 'catalog.db'}"


def env_int(name: str, default: int) -> int:
    """An integer setting; a malformed value is an error naming the variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
