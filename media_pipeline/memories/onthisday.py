"""Choosing "On this day" memories (pure: no catalog, no Dagster).

One memory per earlier year: the photos taken on today's month and day, by the local
wall-clock time where they were taken (a photo at 23:50 in Tokyo belongs to that day, whatever
the date was in UTC). A year with fewer than ``min_photos`` that day widens to the week around
it ("3 years ago this week"). Photos of 29 February show on 28 February in years without one.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from media_pipeline.memory import Candidate, Memory, anniversary


@dataclass(frozen=True)
class MemorySettings:
    max_photos: int = 12  # per memory
    min_photos: int = 3  # a day with fewer widens to its week
    week_days: int = 3  # the week: this many days either side


def memory_id(for_date: date, year: int) -> str:
    """Stable: the same day and year give the same id however often it is made again."""
    return hashlib.sha1(f"memory:{for_date.isoformat()}:{year}".encode()).hexdigest()[:16]


def _on_day(taken: date, day: date, today: date) -> bool:
    if taken == day:
        return True
    # On 28 February of a year without a leap day, photos of earlier 29 Februaries show too.
    leap_day_shown = (today.month, today.day) == (2, 28) and not calendar.isleap(today.year)
    return leap_day_shown and (taken.year, taken.month, taken.day) == (day.year, 2, 29)


def title(years_ago: int, kind: str) -> str:
    text = f"{years_ago} year{'s' if years_ago != 1 else ''} ago"
    return f"{text} this week" if kind == "week" else text


def best_first(photos: Iterable[Candidate]) -> list[Candidate]:
    """Sharp before blurred, then named people, then any faces, then in the order taken."""
    return sorted(
        photos, key=lambda c: (c.blurred, -c.named_faces, -c.faces, c.taken_at, c.file_id)
    )


def make_memories(
    today: date, photos: Iterable[Candidate], settings: MemorySettings | None = None
) -> list[Memory]:
    """Today's memories, the most recent year first. Copies and screenshots never show."""
    settings = settings or MemorySettings()
    shown = [p for p in photos if not (p.duplicate or p.screenshot)]
    # A week around 1 January reaches into the year before: look at both.
    years = {p.taken_at.year for p in shown} | {p.taken_at.year + 1 for p in shown}
    made = []
    window = timedelta(days=settings.week_days)
    for year in sorted((y for y in years if y < today.year), reverse=True):
        day = anniversary(today, year)
        week = [p for p in shown if abs(p.taken_at.date() - day) <= window]
        on_day = [p for p in week if _on_day(p.taken_at.date(), day, today)]
        if len(on_day) >= settings.min_photos or (on_day and len(week) == len(on_day)):
            kind, chosen = "day", on_day
        elif week:
            kind, chosen = "week", week
        else:
            continue
        ranked = best_first(chosen)[: settings.max_photos]
        made.append(
            Memory(
                memory_id(today, year),
                kind,
                year,
                day,
                title(today.year - year, kind),
                [photo.file_id for photo in ranked],
            )
        )
    return made
