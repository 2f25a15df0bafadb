"""Event grouping: a generated library with known events is recovered exactly."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from media_pipeline.albums.events import (
    EventSettings,
    distance_km,
    group_events,
    sort_time,
)
from media_pipeline.photo import Photo
from media_pipeline_tests.albums.library import PLACES, Library, every, make_photo

H = timedelta(hours=1)
M = timedelta(minutes=1)


def ids(events: list[list[Photo]]) -> list[set[int]]:
    return [{photo.file_id for photo in event} for event in events]


def generated_library() -> Library:
    """One year of a life, events in chronological order, with noise that is no event."""
    lib = Library()
    # Sunday lunch in Munich (one photo without GPS), then a work trip to Paris the next
    # morning: 18.5 h apart, under max_gap, split by the 684 km jump.
    lunch = every(datetime(2023, 3, 12, 12, 10), 20 * M, 6, "Munich")
    lunch[3] = (lunch[3][0], None)
    lib.event(lunch)
    lib.event(
        [
            (datetime(2023, 3, 13, 9, 0), "Paris"),
            (datetime(2023, 3, 13, 11, 0), "La Défense"),  # driving around: no split
            (datetime(2023, 3, 13, 16, 0), "Paris"),
            (datetime(2023, 3, 13, 19, 30), None),
            (datetime(2023, 3, 14, 8, 0), "Paris"),
            (datetime(2023, 3, 14, 18, 0), "La Défense"),
        ]
    )
    # A party in Berlin crossing midnight (UTC+2 in April).
    lib.event(every(datetime(2023, 4, 1, 20, 0), 30 * M, 16, "Berlin"), utc_offset=2)
    # A photo set without GPS and without a known zone (local time only).
    lib.event(every(datetime(2023, 4, 20, 10, 0), 45 * M, 8, None), zone_known=False)
    # Two photos are a snapshot, not an album.
    lib.add(datetime(2023, 5, 10, 12, 0), "Munich")
    lib.add(datetime(2023, 5, 10, 12, 5), "Munich")
    # Ten days in Tuscany: day trips under 100 km, nights under 36 h, one day without photos
    # (day 4 19:00 -> day 6 06:00 is 35 h), some photos without GPS.
    tour = ["Florence", "Siena", "Florence", "Pisa", None, "Lucca", "Florence", "Siena", "Florence"]
    holiday: list[tuple[datetime, str | None]] = []
    for day, place in zip([1, 2, 3, 4, 6, 7, 8, 9, 10], tour, strict=True):
        first = 6 if day == 6 else 9
        holiday += every(datetime(2023, 6, day, first, 0), 2 * H, 6, place)
    holiday[-1] = (holiday[-1][0], None)
    lib.event(holiday, utc_offset=2)
    # Rome, then Milan 30 h later: under max_gap, different cities.
    lib.event(every(datetime(2023, 9, 8, 12, 0), 4 * H, 13, "Rome"), utc_offset=2)
    lib.event(every(datetime(2023, 9, 11, 18, 0), 3 * H, 9, "Milan"), utc_offset=2)
    # Photos with no time at all are in no event.
    for _ in range(3):
        lib.add(None, "Munich")
    return lib


def test_generated_library_is_recovered_exactly() -> None:
    lib = generated_library()
    assert ids(group_events(lib.photos)) == lib.expected


def test_input_order_does_not_matter() -> None:
    lib = generated_library()
    shuffled = list(lib.photos)
    random.Random(7).shuffle(shuffled)
    assert ids(group_events(shuffled)) == lib.expected


def test_events_are_in_capture_order() -> None:
    for event in group_events(generated_library().photos):
        times = [sort_time(photo) or datetime.min for photo in event]
        assert times == sorted(times)


def test_holiday_day_gap_just_under_max_gap_stays_together() -> None:
    lib = generated_library()
    holiday = next(e for e in group_events(lib.photos) if e[0].taken_at == datetime(2023, 6, 1, 9))
    times = [sort_time(photo) or datetime.min for photo in holiday]
    assert max(b - a for a, b in itertools.pairwise(times)) == 35 * H


def test_no_gps_photos_between_a_split_join_the_side_they_were_taken_closest_to() -> None:
    photos = [
        make_photo(1, datetime(2023, 3, 12, 12, 0), "Munich"),
        make_photo(2, datetime(2023, 3, 12, 12, 30), None),
        make_photo(3, datetime(2023, 3, 12, 13, 0), None),
        make_photo(4, datetime(2023, 3, 13, 8, 30), None),
        make_photo(5, datetime(2023, 3, 13, 9, 0), "Paris"),
        make_photo(6, datetime(2023, 3, 13, 9, 30), None),
    ]
    assert ids(group_events(photos)) == [{1, 2, 3}, {4, 5, 6}]


def test_photos_without_gps_never_split() -> None:
    photos = [make_photo(i, datetime(2023, 1, 1) + i * 20 * H, None) for i in range(1, 6)]
    assert ids(group_events(photos)) == [{1, 2, 3, 4, 5}]


def test_a_split_needs_both_distance_and_time_gap() -> None:
    start = datetime(2023, 3, 12, 10, 0)
    # Far but quick (a bad fix, or photos from both ends of a short flight): no split.
    quick = [make_photo(i, start + i * 10 * M, "Paris" if i == 3 else "Munich") for i in range(6)]
    assert ids(group_events(quick)) == [set(range(6))]
    # Slow but near (a day in and around Munich): no split.
    near = [
        make_photo(i, start + i * 5 * H, ("Munich", "Augsburg", "Garching")[i % 3])
        for i in range(6)
    ]
    assert ids(group_events(near)) == [set(range(6))]
    # Far and slow: split.
    far = [make_photo(i, start + i * 5 * H, "Munich" if i < 3 else "Paris") for i in range(6)]
    assert ids(group_events(far)) == [{0, 1, 2}, {3, 4, 5}]


def test_night_drive_crossing_midnight_is_one_event() -> None:
    """Moving 60-90 km between photos every 40 minutes through the night: no split."""
    route = ["Munich", "Augsburg", "Munich", "Garching", "Augsburg", "Munich"]
    photos = [
        make_photo(i, datetime(2023, 7, 1, 22, 0) + i * 40 * M, place)
        for i, place in enumerate(route)
    ]
    assert ids(group_events(photos)) == [set(range(6))]


def two_bursts(gap: timedelta, places: tuple[str, str]) -> list[Photo]:
    """Three photos a minute apart, then three more starting `gap` after the third."""
    first = [datetime(2023, 1, 1, 10, i) for i in range(3)]
    second = [first[-1] + gap + i * M for i in range(3)]
    return [make_photo(i, when, places[i // 3]) for i, when in enumerate(first + second)]


def test_thresholds_are_inclusive_where_documented() -> None:
    settings = EventSettings()
    # a gap of exactly max_gap is no longer "under" it
    assert ids(group_events(two_bursts(settings.max_gap, ("Munich", "Munich")))) == [
        {0, 1, 2},
        {3, 4, 5},
    ]
    assert len(group_events(two_bursts(settings.max_gap - M, ("Munich", "Munich")))) == 1
    # a jump after exactly split_gap splits, a minute less does not
    assert len(group_events(two_bursts(settings.split_gap, ("Munich", "Paris")))) == 2
    assert len(group_events(two_bursts(settings.split_gap - M, ("Munich", "Paris")))) == 1


def test_min_size() -> None:
    photos = [make_photo(i, datetime(2023, 1, 1, 12, i), "Munich") for i in range(2)]
    assert group_events(photos) == []
    assert ids(group_events(photos, EventSettings(min_size=2))) == [{0, 1}]
    lonely = [make_photo(i, datetime(2023, 1, 1 + 2 * i, 12), "Munich") for i in range(3)]
    assert ids(group_events(lonely, EventSettings(min_size=1))) == [{0}, {1}, {2}]


def test_photos_without_any_time_are_ignored() -> None:
    photos = [make_photo(i, datetime(2023, 1, 1, 12, i), "Munich") for i in range(3)]
    photos += [make_photo(10 + i, None, "Munich") for i in range(5)]
    assert ids(group_events(photos)) == [{0, 1, 2}]
    assert group_events([make_photo(i, None, "Munich") for i in range(5)]) == []
    assert group_events([]) == []


def test_zone_less_photos_are_ordered_by_local_time_read_as_utc() -> None:
    photos = [
        make_photo(1, datetime(2023, 1, 1, 12, 0), "Munich", utc_offset=1),  # 11:00 UTC
        make_photo(2, datetime(2023, 1, 1, 11, 30), "Munich", zone_known=False),  # "11:30 UTC"
        make_photo(3, datetime(2023, 1, 1, 13, 0), "Munich", utc_offset=1),  # 12:00 UTC
    ]
    assert [p.file_id for p in group_events(photos)[0]] == [1, 2, 3]


def test_utc_orders_photos_across_time_zones() -> None:
    # Local clocks say Tokyo came first; UTC says Munich did.
    photos = [
        make_photo(1, datetime(2023, 1, 1, 20, 0), "Munich", utc_offset=1),  # 19:00 UTC
        make_photo(2, datetime(2023, 1, 2, 5, 0), "Munich", utc_offset=9),  # 20:00 UTC
        make_photo(3, datetime(2023, 1, 1, 19, 30), "Munich", utc_offset=-5),  # 00:30 UTC
    ]
    assert [p.file_id for p in group_events(photos)[0]] == [1, 2, 3]


def test_thresholds_are_configurable() -> None:
    lib = generated_library()
    lunch, paris, party, _no_gps, holiday, rome, milan = lib.expected
    # Shorter max_gap: the holiday falls apart into days, the party does not.
    short = ids(group_events(lib.photos, EventSettings(max_gap=timedelta(hours=12))))
    assert party in short and holiday not in short
    assert all(event <= holiday for event in short if event & holiday)
    # A larger split distance or split gap keeps Munich and Paris together.
    wide = ids(group_events(lib.photos, EventSettings(split_distance_km=1000)))
    assert lunch | paris in wide and rome | milan in wide
    patient = ids(group_events(lib.photos, EventSettings(split_gap=timedelta(hours=24))))
    assert lunch | paris in patient and rome in patient and milan in patient
    # A smaller split distance cuts the Tuscany day trips.
    fussy = ids(group_events(lib.photos, EventSettings(split_distance_km=40)))
    assert holiday not in fussy and lunch in fussy


@pytest.mark.parametrize(
    "bad",
    [
        {"max_gap": timedelta(0)},
        {"split_gap": timedelta(hours=-1)},
        {"split_distance_km": -1.0},
        {"split_distance_km": float("nan")},
        {"min_size": 0},
    ],
)
def test_invalid_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        EventSettings(**bad)


def test_non_finite_coordinates_count_as_no_gps() -> None:
    photo = Photo(1, datetime(2023, 1, 1), None, float("nan"), 11.0, None, None)
    assert photo.position is None
    assert Photo(1, None, None, 48.0, None, None, None).position is None


def test_haversine_distance() -> None:
    munich, paris = PLACES["Munich"][:2], PLACES["Paris"][:2]
    assert distance_km(munich, paris) == pytest.approx(684, abs=2)
    assert distance_km(munich, munich) == 0
    assert distance_km((0.0, 0.0), (0.0, 180.0)) == pytest.approx(20015, rel=1e-3)
