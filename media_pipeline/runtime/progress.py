"""One progress line format: written to the run's log by assets, read back by the CLI.

Dagster has no progress API; a log line every few seconds lands in the event log live, shows in
the UI, and is the single source `media-pipeline run` and `status` parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


PLAN_SUFFIX = "_plan"  # the step that splits a stage into batches logs the stage's total


def combine_progress(newest: Mapping[str, ProgressReport]) -> ProgressReport | None:
    """One report for a stage from the newest line of each of its steps (step key → report):
    files done add up over the batches, the total is the plan's (batches not started yet
    have no line), the rate is that of the batches still working, so the ETA is the run's."""
    if not newest:
        return None
    batches = [r for step, r in newest.items() if not step.endswith(PLAN_SUFFIX)]
    planned = sum(r.total for step, r in newest.items() if step.endswith(PLAN_SUFFIX))
    done = sum(r.done for r in batches)
    total = max(planned, sum(r.total for r in batches))
    working = [r.rate for r in batches if r.done < r.total]
    rate = sum(working) if working else max((r.rate for r in batches), default=0.0)
    eta = (total - done) / rate if rate > 0 else None
    task = next(iter(newest.values())).task
    return ProgressReport(task, done, total, round(rate, 1), round(eta) if eta is not None else eta)
