"""Where a photo was taken: coordinate checks, time zone and city/state/country, all offline.

The city is the place people would name, not the nearest GeoNames entry (often a
neighbourhood: "Baixa" in Lisbon, "Times Square" in New York). Every populated place is
given a footprint that grows with its population (``footprint_km``: a village or a town of
up to 20,000 2 km, 100,000 4.5 km, 500,000 10 km, 1.1 million and more 15 km); of the places
in the nearest
place's country whose footprint covers the photo, the most populous is the city. So Lisbon
Baixa is "Lisbon" and Shibuya "Tokyo", while a village far from towns keeps its own name,
and a town just across a border is not swallowed by the city on the other side.

The lookups load sizeable data sets (timezonefinder's polygons, reverse_geocode's
GeoNames k-d tree, a few hundred milliseconds each), so each is created lazily once per
process and shared; results are cached per rounded position because a library holds
many photos taken at the same spot.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from typing import Any

_COORDINATE_DECIMALS = 6
# reverse_geocode answers with the nearest known place however far it is; a photo
# taken mid-ocean or on an ice sheet should not be labelled with a town 500 km away.
MAX_PLACE_DISTANCE_KM = 100.0
_EARTH_RADIUS_KM = 6371.0
MIN_FOOTPRINT_KM, MAX_FOOTPRINT_KM = 2.0, 15.0
_FOOTPRINT_SCALE = 70.0  # km = sqrt(population) / 70
_KM_PER_DEGREE = 111.0

_lock = threading.Lock()
_finder: Any = None


def valid_coordinates(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    """(lat, lon) rounded to 6 decimals, or None for NaN, out of range or exactly 0/0.

    0/0 ("null island") is what many devices write when they have no fix.
    """
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None
    return round(lat, _COORDINATE_DECIMALS), round(lon, _COORDINATE_DECIMALS)


def _timezone_finder() -> Any:
    global _finder
    with _lock:
        if _finder is None:
            from timezonefinder import TimezoneFinder

            _finder = TimezoneFinder()
        return _finder


@lru_cache(maxsize=4096)
def _timezone_at(lat: float, lon: float) -> str | None:
    finder = _timezone_finder()
    with _lock:  # the finder keeps per-instance buffers; one query at a time
        return finder.timezone_at(lng=lon, lat=lat)


def timezone_for(latitude: float, longitude: float) -> str | None:
    """The IANA time zone at a position (at sea: "Etc/GMT+2"-style), None if unknown."""
    return _timezone_at(round(latitude, 4), round(longitude, 4))


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def footprint_km(population: int) -> float:
    """How far from its GeoNames point a place is still "there" for the people who live there."""
    radius = math.sqrt(max(population, 0)) / _FOOTPRINT_SCALE
    return min(MAX_FOOTPRINT_KM, max(MIN_FOOTPRINT_KM, radius))


def _geocoder() -> Any:
    import reverse_geocode  # its GeocodeData is a per-process singleton

    return reverse_geocode.GeocodeData()


@lru_cache(maxsize=4096)
def _place_at(lat: float, lon: float) -> tuple[str | None, str | None, str | None]:
    data = _geocoder()
    with _lock:
        [nearest] = data.query([(lat, lon)])
        # degrees of latitude; longitude degrees are shorter, so this radius is a superset
        reach = MAX_FOOTPRINT_KM / _KM_PER_DEGREE / max(math.cos(math.radians(lat)), 0.05)
        nearby = [data._locations[i] for i in data._tree.query_ball_point((lat, lon), reach)]
    try:
        distance = _distance_km(lat, lon, float(nearest["latitude"]), float(nearest["longitude"]))
    except (KeyError, TypeError, ValueError):
        return None, None, None
    if distance > MAX_PLACE_DISTANCE_KM:
        return None, None, None
    chosen = nearest
    for place in nearby:
        if place.get("country_code") != nearest.get("country_code"):
            continue
        population = int(place.get("population") or 0)
        if population <= int(chosen.get("population") or 0):
            continue
        away = _distance_km(lat, lon, float(place["latitude"]), float(place["longitude"]))
        if away <= footprint_km(population):
            chosen = place
    return (
        chosen.get("city") or None,
        chosen.get("state") or None,
        nearest.get("country") or None,
    )


def place_for(latitude: float, longitude: float) -> tuple[str | None, str | None, str | None]:
    """(city, state, country) people would name (module docstring); Nones far from any place."""
    return _place_at(round(latitude, 4), round(longitude, 4))
