"""Album titles from what the catalog knows: place, dates, named people, and an occasion.

Formats (English, en dash, no leading zeros, the way people write dates):

- "Munich, 12 March 2023", "Munich, 12–15 March 2023", "France, 30 March – 2 April 2023",
  "Italy and France, 28 December 2022 – 2 January 2023"
- "Rome with Anna and Marco, 3–9 June 2022"; without a place "3–9 June 2022 with Anna"
- "New Year's Eve 2023 in Berlin": every photo between 31 December 18:00 and 1 January 06:00,
  with photos on both sides of midnight (the turn of the year, not just an evening)
- "Sunday lunch in Munich with Anna, 12 March 2023": every photo on one Sunday between 11:30
  and 15:00, and named people in them. The date stays in the title, or every Sunday lunch in
  Munich would read the same.

An occasion needs evidence beyond the clock: three copies of one landscape taken at noon on a
Sunday are not a lunch. Only distinct photos count (copies share a content hash).

Only facts in the rows are used: no place without a city or country, no person without a name.
Dates and times of day are local (`taken_at`, what people saw on the clock); a photo without
one falls back to its UTC time for the date, and occasions, which hang on the hour, are only
named when every photo has a local time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TypeVar

from media_pipeline.photo import Photo

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# GeoNames (behind the catalog's city column) names suburbs and villages as cities, so a day in
# Munich also yields "Garching" or "Unterföhring"; a city that holds three quarters of the
# photos is what the album is about. Below that, the trip visited several places.
CITY_SHARE = 0.75
MAX_LISTED = 3  # places or people named before "and N more / others"
_EVENING = time(18, 0)
_MORNING_AFTER = time(6, 0)
_LUNCH = (time(11, 30), time(15, 0))
_SUNDAY = 6
_K = TypeVar("_K")


def album_title(photos: Sequence[Photo], *, today: date | None = None) -> str:
    """A readable title for an event's photos (formats in the module docstring).

    `today`, when given, drops the year from date ranges within today's year ("12–15 March"),
    as people say it; by default the year is always written, so a stored title does not change
    on 1 January.
    """
    place = album_place(photos)
    people = _people_phrase(photos)
    in_place = f" in {place}" if place else ""
    with_people = f" with {people}" if people else ""
    local = [when for photo in photos if (when := _local_time(photo)) is not None]
    if not local:
        return f"{place}{with_people}" if place else f"Photos{with_people}"
    first, last = min(local), max(local)
    dates = format_dates(first.date(), last.date(), today=today)

    distinct = len({photo.content for photo in photos}) > 1
    if distinct and all(photo.taken_at is not None for photo in photos):  # the hour people saw
        if _is_new_years_eve(first, last):
            return f"New Year's Eve {first.year}{in_place}{with_people}"
        if people and _is_sunday_lunch(first, last):
            return f"Sunday lunch{in_place}{with_people}, {dates}"
    if place:
        return f"{place}{with_people}, {dates}"
    return f"{dates}{with_people}"


def album_place(photos: Sequence[Photo]) -> str | None:
    """The place in the title: the city, else the country or countries, else None.

    One city when it holds at least `CITY_SHARE` of the photos with a city; otherwise the
    countries by number of photos ("France", "Italy and France", "Italy, France, Spain and 2
    more countries"); cities are listed the same way only when no country is known.
    """
    cities = Counter((photo.city, photo.country) for photo in photos if photo.city)
    if cities:
        (city, _), count = _ranked(cities)[0]
        if count >= CITY_SHARE * cities.total():
            return city
    countries = Counter(photo.country for photo in photos if photo.country)
    if countries:
        return _listing([name for name, _ in _ranked(countries)], "more countries")
    if cities:
        names = Counter[str]()
        for (city, _), count in cities.items():
            names[city] += count
        return _listing([name for name, _ in _ranked(names)], "more places")
    return None


def format_dates(first: date, last: date, *, today: date | None = None) -> str:
    """A date range as people write it, with an en dash.

    "12 March 2023", "12–15 March 2023", "30 March – 2 April 2023",
    "28 December 2022 – 2 January 2023"; without the year when both dates are in `today`'s year.
    """
    if last < first:
        first, last = last, first
    year = "" if today is not None and first.year == last.year == today.year else f" {last.year}"
    if first == last:
        return f"{_day_month(last)}{year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_day_month(last)}{year}"
    if first.year == last.year:
        return f"{_day_month(first)} – {_day_month(last)}{year}"
    return f"{_day_month(first)} {first.year} – {_day_month(last)} {last.year}"


def _day_month(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _local_time(photo: Photo) -> datetime | None:
    return photo.taken_at if photo.taken_at is not None else photo.taken_at_utc


def _is_new_years_eve(first: datetime, last: datetime) -> bool:
    start = datetime.combine(date(first.year, 12, 31), _EVENING)
    end = datetime.combine(date(first.year + 1, 1, 1), _MORNING_AFTER)
    return start <= first and last < end and first.year != last.year


def _is_sunday_lunch(first: datetime, last: datetime) -> bool:
    return (
        first.date() == last.date()
        and first.weekday() == _SUNDAY
        and _LUNCH[0] <= first.time()
        and last.time() <= _LUNCH[1]
    )


def _people_phrase(photos: Sequence[Photo]) -> str | None:
    """Named people, most photographed first: "Anna", "Anna and Marco", "Anna, Marco and Luca",
    "Anna, Marco and 2 others"."""
    counts = Counter(
        name for photo in photos for name in {raw.strip() for raw in photo.people} if name
    )
    if not counts:
        return None
    names = [name for name, _ in _ranked(counts)]
    if len(names) > MAX_LISTED:
        return f"{', '.join(names[: MAX_LISTED - 1])} and {len(names) - MAX_LISTED + 1} others"
    return _join(names)


def _listing(names: list[str], more: str) -> str:
    if len(names) > MAX_LISTED:
        return f"{', '.join(names[:MAX_LISTED])} and {len(names) - MAX_LISTED} {more}"
    return _join(names)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _ranked(counts: Counter[_K]) -> list[tuple[_K, int]]:
    """Most common first, ties in name order, so titles do not depend on the photos' order."""
    return sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
