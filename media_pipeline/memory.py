"""A memory and the dated photos it is chosen from, and the calendar of "on this day": below
both the catalog that stores memories and the memories package that chooses them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Candidate:
    """A dated photo and what makes it worth showing."""

    file_id: int
    taken_at: datetime  # local wall-clock time
    named_faces: int = 0  # faces of people the user named
    faces: int = 0
    blurred: bool = False
    duplicate: bool = False  # a copy that is not its group's keeper
    screenshot: bool = False


@dataclass(frozen=True)
class Memory:
    id: str
    kind: str  # "day" or "week"
    year: int
    date: date  # the day in `year` the memory remembers
    title: str
    file_ids: list[int]  # best first; the first is the cover

    @property
    def cover(self) -> int:
        return self.file_ids[0]


def anniversary(today: date, year: int) -> date:
    """Today's month and day in ``year`` (29 February becomes the 28th without a leap day)."""
    if today.month == 2 and today.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return today.replace(year=year)


def near_day(taken: date, today: date, days: int) -> bool:
    """Whether ``taken``'s month and day lie within ``days`` of today's, in any year."""
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            shifted = taken.replace(year=year)
        except ValueError:  # 29 February in a year without one
            shifted = date(year, 2, 28)
        if abs((shifted - today).days) <= days:
            return True
    return False
