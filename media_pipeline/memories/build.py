"""Today's memories from the catalog: shared by the `memories` asset and the CLI."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from media_pipeline.catalog.memories import candidates
from media_pipeline.catalog.store import Catalog
from media_pipeline.memories.onthisday import MemorySettings, make_memories
from media_pipeline.memories.sharpness import is_blurred
from media_pipeline.memory import Memory


def today() -> date:
    """The date now in MEDIA_PIPELINE_TIMEZONE (the zone the nightly schedules run in)."""
    return datetime.now(ZoneInfo(os.environ.get("MEDIA_PIPELINE_TIMEZONE", "UTC"))).date()


def build_memories(
    store: Catalog,
    day: date,
    home: Path,
    settings: MemorySettings | None = None,
    rows: list[Any] | None = None,
) -> list[Memory]:
    """``rows``: the day's ``candidate_rows`` when the caller read them already."""
    settings = settings or MemorySettings()
    found = candidates(store, day, settings.week_days, is_blurred, home, rows)
    return make_memories(day, found, settings)
