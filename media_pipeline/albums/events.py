"""Events: photos grouped by time, then split where the place jumps.

Two passes over the photos in capture order:

1. **Time**: a new event starts wherever the gap to the previous photo reaches `max_gap`. The
   default of 36 hours keeps a holiday together even on a day without photos in the evening or
   morning, and keeps a party crossing midnight in one piece.
2. **Place**: inside such a run, a new event starts where the position jumps by more than
   `split_distance_km` *and* at least `split_gap` passed between the two located photos either
   side of the jump (a Sunday lunch in Munich and a work trip to Paris the next day). Requiring
   both means driving around a city, or one bad GPS fix between two photos a minute apart, never
   splits. Photos without GPS never cause a split; between the two located photos of a split
   they are cut at the longest pause, so each joins the event it was taken closest to.

Events of fewer than `min_size` distinct photos (copies of one photo count once) are not albums
and are dropped after both passes. Photos whose only date is the file's mtime never reach this
module (the catalog lists them apart, as the "Undated" set): a copy date is not an event.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from media_pipeline.photo import Photo

_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class EventSettings:
    """Thresholds of `group_events`; see the module docstring for what each one does.

    - `max_gap` 36 h: under it, a holiday with one photo-less morning or evening stays one event;
      above it, ordinary life (photos every few days) is not one endless event.
    - `split_distance_km` 100 km: wider than a metropolitan area (a day driving around Munich or
      Paris, suburbs included) and than the 100 km within which the catalog names a photo's city,
      well below the distance between cities people travel between (Munich-Paris 685 km).
      It is also far above GPS error, so a jittery fix does not count as a move.
    - `split_gap` 4 h: a move between cities that ends one event and starts another comes with a
      long pause in photos (a night, a flight with its airports); a stop on the way or a museum
      visit on a city day rarely goes four hours without a photo. A road trip that moves more
      than 100 km overnight is therefore split per stop: the rule cannot tell it from going home.
    - `min_size` 3: one or two distinct photos are a snapshot, not an album.
    """

    max_gap: timedelta = timedelta(days=1, hours=12)
    split_distance_km: float = 100.0
    split_gap: timedelta = timedelta(hours=4)
    min_size: int = 3

    def __post_init__(self) -> None:
        if self.max_gap <= timedelta(0):
            raise ValueError("max_gap must be positive")
        if self.split_gap < timedelta(0):
            raise ValueError("split_gap must not be negative")
        if not self.split_distance_km >= 0:  # also rejects NaN
            raise ValueError("split_distance_km must not be negative")
        if self.min_size < 1:
            raise ValueError("min_size must be at least 1")


def sort_time(photo: Photo) -> datetime | None:
    """The time photos are ordered by: `taken_at_utc`, else local `taken_at` read as UTC.

    Local time read as UTC is off by the photo's UTC offset (at most 14 h), which can misplace a
    zone-less photo among zoned ones by that much; it is still far better than dropping it.
    """
    return photo.taken_at_utc if photo.taken_at_utc is not None else photo.taken_at


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (lat, lon) positions in km."""
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    dphi, dlambda = phi2 - phi1, math.radians(b[1] - a[1])
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def group_events(
    photos: Iterable[Photo], settings: EventSettings = EventSettings()
) -> list[list[Photo]]:
    """Chronological events of at least `settings.min_size` photos, each in capture order.

    Ordering key: `taken_at_utc` when known, else `taken_at` treated as UTC (see `sort_time`);
    ties are broken by file id so the result does not depend on the input order. Photos with
    neither time are ignored: there is no event to put them in.
    """
    dated = [(when, photo) for photo in photos if (when := sort_time(photo)) is not None]
    dated.sort(key=lambda item: (item[0], item[1].file_id))
    events: list[list[Photo]] = []
    for run in _split_by_time(dated, settings.max_gap):
        for event in _split_by_place(run, settings):
            if len({photo.content for _, photo in event}) >= settings.min_size:
                events.append([photo for _, photo in event])
    return events


_Dated = tuple[datetime, Photo]


def _split_by_time(dated: list[_Dated], max_gap: timedelta) -> list[list[_Dated]]:
    runs: list[list[_Dated]] = []
    for item in dated:
        if runs and item[0] - runs[-1][-1][0] < max_gap:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _split_by_place(run: list[_Dated], settings: EventSettings) -> list[list[_Dated]]:
    events: list[list[_Dated]] = []
    start = 0
    last_located: int | None = None
    for index, (when, photo) in enumerate(run):
        position = photo.position
        if position is None:
            continue
        if last_located is not None:
            before_when, before = run[last_located]
            before_position = before.position
            assert before_position is not None
            if (
                when - before_when >= settings.split_gap
                and distance_km(before_position, position) > settings.split_distance_km
            ):
                cut = _longest_pause(run, last_located, index)
                events.append(run[start:cut])
                start = cut
        last_located = index
    events.append(run[start:])
    return events


def _longest_pause(run: list[_Dated], first: int, last: int) -> int:
    """The index in (first, last] that follows the longest gap; the earliest one on a tie."""
    return max(range(first + 1, last + 1), key=lambda i: (run[i][0] - run[i - 1][0], -i))
