from __future__ import annotations

import pytest

from media_pipeline.metadata.places import (
    MAX_FOOTPRINT_KM,
    MIN_FOOTPRINT_KM,
    footprint_km,
    place_for,
    timezone_for,
    valid_coordinates,
)


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
    city, state, country = place_for(41.2203, -96.071625)
    assert city and state == "Nebraska" and country == "United States"
    assert place_for(48.8566, 2.3522) == ("Paris", "Île-de-France", "France")


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        # the city people name, not the neighbourhood GeoNames has nearest
        (38.7110, -9.1366, ("Lisbon", "Lisbon", "Portugal")),  # Baixa
        (38.7223, -9.1355, ("Lisbon", "Lisbon", "Portugal")),  # Intendente
        (52.5219, 13.4132, ("Berlin", "State of Berlin", "Germany")),  # Alexanderplatz
        (52.5170, 13.3889, ("Berlin", "State of Berlin", "Germany")),  # Mitte
        (40.7580, -73.9855, ("New York City", "New York", "United States")),  # Times Square
        (35.6595, 139.7005, ("Tokyo", "Tokyo", "Japan")),  # Shibuya
        # a village far from towns keeps its own name
        (47.6858, 11.2016, ("Murnau am Staffelsee", "Bavaria", "Germany")),
        # near a border: the town on this side, not the bigger city across it
        (48.5727, 7.8155, ("Kehl", "Baden-Wurttemberg", "Germany")),  # Strasbourg 4 km away
        (47.5947, 7.6108, ("Weil am Rhein", "Baden-Wurttemberg", "Germany")),  # Basel 4 km
        (48.5734, 7.7521, ("Strasbourg", "Grand Est", "France")),
        # a city of its own beside a bigger one stays itself
        (34.0195, -118.4912, ("Santa Monica", "California", "United States")),
        # open sea
        (45.0, -30.0, (None, None, None)),
    ],
)
def test_places_people_recognise(lat, lon, expected) -> None:
    assert place_for(lat, lon) == expected


def test_footprint_grows_with_population() -> None:
    assert footprint_km(500) == MIN_FOOTPRINT_KM
    assert footprint_km(100_000) < footprint_km(500_000) < MAX_FOOTPRINT_KM
    assert footprint_km(8_000_000) == MAX_FOOTPRINT_KM


def test_no_place_far_from_everything() -> None:
    assert place_for(0.5, -30.0) == (None, None, None)  # mid-Atlantic
