from __future__ import annotations

import pytest

from media_pipeline.metadata.places import place_for, timezone_for, valid_coordinates


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (41.2203, -96.071625, (41.2203, -96.071625)),
        (41.12345678, -96.0, (41.123457, -96.0)),
        (-90, 180, (-90.0, 180.0)),
        (0.0, 10.0, (0.0, 10.0)),
        (0.0, 0.0, None),
        (90.0001, 0.5, None),
        (45.0, -180.5, None),
        (float("nan"), 1.0, None),
        (1.0, float("inf"), None),
        (None, 1.0, None),
        ("x", 1.0, None),
    ],
)
def test_valid_coordinates(lat, lon, expected) -> None:
    assert valid_coordinates(lat, lon) == expected


def test_timezone_for() -> None:
    assert timezone_for(41.2203, -96.071625) == "America/Chicago"
    assert timezone_for(39.115, -108.400968) == "America/Denver"
    assert timezone_for(48.8584, 2.2945) == "Europe/Paris"


def test_place_for() -> None:
    city, country = place_for(41.2203, -96.071625)
    assert city and country == "United States"
    assert place_for(48.8566, 2.3522) == ("Paris", "France")


def test_no_place_far_from_everything() -> None:
    assert place_for(0.5, -30.0) == (None, None)  # mid-Atlantic
