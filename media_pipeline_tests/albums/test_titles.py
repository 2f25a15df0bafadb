"""Album titles: place, dates as people write them, named people, New Year's Eve, Sunday lunch."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, datetime, timedelta

import pytest

from media_pipeline.albums.events import group_events
from media_pipeline.albums.titles import album_place, album_title, format_dates
from media_pipeline.photo import Photo

_IDS = itertools.count(1)  # distinct photos: each shot is its own content


def shot(
    local: datetime | None,
    city: str | None = None,
    country: str | None = None,
    *people: str,
    utc: datetime | None = None,
) -> Photo:
    return Photo(next(_IDS), utc, local, None, None, city, country, tuple(people))


def days(first: datetime, last: datetime, city: str | None, country: str | None) -> list[Photo]:
    return [shot(first, city, country), shot(last, city, country)]


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2023, 3, 12), date(2023, 3, 12), "12 March 2023"),
        (date(2023, 3, 12), date(2023, 3, 15), "12–15 March 2023"),
        (date(2023, 3, 30), date(2023, 4, 2), "30 March – 2 April 2023"),
        (date(2022, 12, 28), date(2023, 1, 2), "28 December 2022 – 2 January 2023"),
        (date(2023, 3, 15), date(2023, 3, 12), "12–15 March 2023"),
    ],
)
def test_date_ranges(first: date, last: date, expected: str) -> None:
    assert format_dates(first, last) == expected


def test_year_left_out_only_within_todays_year() -> None:
    today = date(2023, 6, 1)
    assert format_dates(date(2023, 3, 12), date(2023, 3, 15), today=today) == "12–15 March"
    assert format_dates(date(2023, 3, 30), date(2023, 4, 2), today=today) == "30 March – 2 April"
    assert format_dates(date(2022, 3, 12), date(2022, 3, 12), today=today) == "12 March 2022"
    crossing = format_dates(date(2022, 12, 28), date(2023, 1, 2), today=today)
    assert crossing == "28 December 2022 – 2 January 2023"
    photos = days(datetime(2023, 3, 12, 9), datetime(2023, 3, 15, 18), "Munich", "Germany")
    assert album_title(photos, today=today) == "Munich, 12–15 March"


def test_single_city_single_day() -> None:
    photos = days(datetime(2023, 3, 14, 9), datetime(2023, 3, 14, 18), "Munich", "Germany")
    assert album_title(photos) == "Munich, 14 March 2023"


def test_single_city_several_days() -> None:
    photos = days(datetime(2023, 3, 12, 9), datetime(2023, 3, 15, 18), "Munich", "Germany")
    assert album_title(photos) == "Munich, 12–15 March 2023"


def test_crossing_months_and_years() -> None:
    march = days(datetime(2023, 3, 30, 9), datetime(2023, 4, 2, 18), "Paris", "France")
    assert album_title(march) == "Paris, 30 March – 2 April 2023"
    winter = days(datetime(2022, 12, 28, 9), datetime(2023, 1, 2, 18), "Vienna", "Austria")
    assert album_title(winter) == "Vienna, 28 December 2022 – 2 January 2023"


def test_new_years_eve() -> None:
    party = [
        shot(datetime(2023, 12, 31, 20, 0), "Berlin", "Germany"),
        shot(datetime(2024, 1, 1, 0, 1), "Berlin", "Germany"),
        shot(datetime(2024, 1, 1, 2, 30), None, None),
    ]
    assert album_title(party) == "New Year's Eve 2023 in Berlin"
    no_place = [shot(p.taken_at) for p in party]
    assert album_title(no_place) == "New Year's Eve 2023"
    with_anna = [*party, shot(datetime(2023, 12, 31, 23, 0), "Berlin", "Germany", "Anna")]
    assert album_title(with_anna) == "New Year's Eve 2023 in Berlin with Anna"


def test_not_new_years_eve_outside_the_evening() -> None:
    afternoon = days(datetime(2023, 12, 31, 14), datetime(2023, 12, 31, 20), "Berlin", "Germany")
    assert album_title(afternoon) == "Berlin, 31 December 2023"
    next_day = days(datetime(2023, 12, 31, 20), datetime(2024, 1, 1, 11), "Berlin", "Germany")
    assert album_title(next_day) == "Berlin, 31 December 2023 – 1 January 2024"


def test_occasions_need_local_times() -> None:
    # One photo only knows UTC: its hour is not what people saw, so no occasion is named.
    party = [
        shot(datetime(2023, 12, 31, 20, 0), "Berlin", "Germany"),
        shot(None, "Berlin", "Germany", utc=datetime(2023, 12, 31, 22, 0)),
    ]
    assert album_title(party) == "Berlin, 31 December 2023"


def test_sunday_lunch_needs_people() -> None:
    """The clock alone is no lunch: named people at the table are the evidence."""
    lunch = days(datetime(2023, 3, 12, 12, 10), datetime(2023, 3, 12, 14, 30), "Munich", "Germany")
    assert album_title(lunch) == "Munich, 12 March 2023"
    with_people = [*lunch, shot(datetime(2023, 3, 12, 13), "Munich", "Germany", "Anna")]
    assert album_title(with_people) == "Sunday lunch in Munich with Anna, 12 March 2023"
    nowhere = [shot(p.taken_at, None, None, *p.people) for p in with_people]
    assert album_title(nowhere) == "Sunday lunch with Anna, 12 March 2023"


def test_copies_of_one_photo_are_no_occasion() -> None:
    noon = datetime(2012, 8, 5, 12, 0)  # a Sunday
    copies = [
        Photo(i, None, noon, None, None, None, None, ("Anna",), content_hash="same")
        for i in range(3)
    ]
    assert album_title(copies) == "5 August 2012 with Anna"
    new_year = datetime(2023, 12, 31, 23, 0)
    assert album_title([dataclasses.replace(p, taken_at=new_year) for p in copies]) == (
        "31 December 2023 with Anna"
    )


def test_new_years_eve_needs_the_turn_of_the_year() -> None:
    evening = [shot(datetime(2023, 12, 31, 19 + i), "Berlin", "Germany") for i in range(3)]
    assert album_title(evening) == "Berlin, 31 December 2023"


def test_not_sunday_lunch() -> None:
    saturday = days(datetime(2023, 3, 11, 12), datetime(2023, 3, 11, 14), "Munich", "Germany")
    assert album_title(saturday) == "Munich, 11 March 2023"
    evening = days(datetime(2023, 3, 12, 12), datetime(2023, 3, 12, 19), "Munich", "Germany")
    assert album_title(evening) == "Munich, 12 March 2023"


def test_several_cities_in_one_country_name_the_country() -> None:
    photos = [
        *days(datetime(2023, 3, 30, 9), datetime(2023, 3, 31, 18), "Paris", "France"),
        *days(datetime(2023, 4, 1, 9), datetime(2023, 4, 2, 18), "Lyon", "France"),
    ]
    assert album_place(photos) == "France"
    assert album_title(photos) == "France, 30 March – 2 April 2023"


def test_a_dominant_city_wins_over_its_suburbs() -> None:
    at = datetime(2023, 3, 14, 12)
    photos = [shot(at, "Munich", "Germany")] * 6 + [shot(at, "Garching", "Germany")] * 2
    assert album_place(photos) == "Munich"
    photos += [shot(at, "Garching", "Germany")]
    assert album_place(photos) == "Germany"  # 6 of 9 is not three quarters


def test_several_countries_are_listed_by_number_of_photos() -> None:
    at = datetime(2023, 6, 3, 12)
    italy = [shot(at, "Rome", "Italy")] * 5
    france = [shot(at, "Nice", "France")] * 3
    assert album_place(france + italy) == "Italy and France"
    swiss = [shot(at, "Lugano", "Switzerland")]
    assert album_place(swiss + italy + france) == "Italy, France and Switzerland"
    more = [shot(at, "Madrid", "Spain")] * 2 + [shot(at, "Porto", "Portugal")]
    listed = album_place(italy + france + swiss + more)
    assert listed == "Italy, France, Spain and 2 more countries"


def test_cities_without_countries_are_listed() -> None:
    at = datetime(2023, 6, 3, 12)
    assert album_place([shot(at, "Rome"), shot(at, "Rome"), shot(at, "Milan")]) == "Rome and Milan"


def test_named_people() -> None:
    first, last = datetime(2022, 6, 3, 9), datetime(2022, 6, 9, 18)
    anna = [shot(first, "Rome", "Italy", "Anna"), shot(last, "Rome", "Italy", "Anna")]
    assert album_title(anna) == "Rome with Anna, 3–9 June 2022"
    marco = [*anna, shot(first, "Rome", "Italy", "Marco")]
    assert album_title(marco) == "Rome with Anna and Marco, 3–9 June 2022"
    luca = [*marco, shot(first, "Rome", "Italy", "Luca")]
    assert album_title(luca) == "Rome with Anna, Luca and Marco, 3–9 June 2022"
    crowd = [*luca, shot(last, "Rome", "Italy", "Marco", "Sara")]
    assert album_title(crowd) == "Rome with Anna, Marco and 2 others, 3–9 June 2022"


def test_people_are_counted_once_per_photo_and_blank_names_ignored() -> None:
    at = datetime(2022, 6, 3, 9)
    photos = [shot(at, None, None, "Marco", "Marco", " "), shot(at, None, None, "Anna")]
    assert album_title(photos) == "3 June 2022 with Anna and Marco"


def test_no_place_gives_the_date_only() -> None:
    photos = days(datetime(2023, 3, 12, 9), datetime(2023, 3, 15, 18), None, None)
    assert album_place(photos) is None
    assert album_title(photos) == "12–15 March 2023"


def test_nothing_known_invents_nothing() -> None:
    assert album_title([shot(None)]) == "Photos"
    assert album_title([shot(None, "Munich", "Germany")]) == "Munich"
    assert album_title([shot(None, None, None, "Anna")]) == "Photos with Anna"
    assert album_title([]) == "Photos"


def test_dates_fall_back_to_utc_when_the_local_time_is_unknown() -> None:
    photos = [shot(None, utc=datetime(2023, 3, 12, 9)), shot(None, utc=datetime(2023, 3, 13, 9))]
    assert album_title(photos) == "12–13 March 2023"


def test_titles_do_not_depend_on_photo_order() -> None:
    at = datetime(2023, 6, 3, 12)
    photos = [shot(at, "Rome", "Italy", "Anna"), shot(at, "Nice", "France", "Marco")]
    assert (
        album_title(photos)
        == album_title(photos[::-1])
        == ("France and Italy with Anna and Marco, 3 June 2023")
    )


def test_titles_of_grouped_events() -> None:
    """End to end: the Munich lunch and the Paris trip of the next day get their own titles."""
    lunch_start = datetime(2023, 3, 12, 12, 10)
    photos = [
        Photo(
            i,
            lunch_start + timedelta(minutes=20 * i) - timedelta(hours=1),
            lunch_start + timedelta(minutes=20 * i),
            48.137,
            11.575,
            "Munich",
            "Germany",
        )
        for i in range(5)
    ] + [
        Photo(
            10 + i,
            datetime(2023, 3, 13, 8 + 3 * i),
            datetime(2023, 3, 13, 9 + 3 * i),
            48.857,
            2.352,
            "Paris",
            "France",
            ("Anna",),
        )
        for i in range(5)
    ]
    titles = [album_title(event) for event in group_events(photos)]
    assert titles == ["Munich, 12 March 2023", "Paris with Anna, 13 March 2023"]
