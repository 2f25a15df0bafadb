"""One progress line format: written to the run's log by assets, read back by the CLI.

Dagster has no progress API; a log line every few seconds lands in the event log live, shows in
the UI, and is the single source `media-pipeline run` and `status` parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_PATTERN = re.compile(
    r"^(?P<task>[\w ]+) progress: (?P<done>\d+)/(?P<total>\d+) files"
    r" \(\d+%\), (?P<rate>[\d.]+) files/s, ETA (?P<eta>[\d:]+|unknown)"
)


@dataclass(frozen=True)
class ProgressReport:
    task: str
    done: int
    total: int
    rate: float
    eta_seconds: float | None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "task": self.task,
            "processed": self.done,
            "total": self.total,
            "rate": self.rate,
            "eta_seconds": self.eta_seconds,
        }


def format_progress(task: str, done: int, total: int, elapsed: float) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    remaining = (total - done) / rate if rate > 0 else None
    eta = str(timedelta(seconds=round(remaining))) if remaining is not None else "unknown"
    percent = int(100 * done / total) if total else 100
    return f"{task} progress: {done}/{total} files ({percent}%), {rate:.1f} files/s, ETA {eta}"


def parse_progress(message: str) -> ProgressReport | None:
    match = _PATTERN.match(message or "")
    if match is None:
        return None
    eta = match["eta"]
    eta_seconds = None
    if eta != "unknown":
        hours, minutes, seconds = (int(part) for part in eta.split(":"))
        eta_seconds = float(hours * 3600 + minutes * 60 + seconds)
    return ProgressReport(
        match["task"], int(match["done"]), int(match["total"]), float(match["rate"]), eta_seconds
    )
