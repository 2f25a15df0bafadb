"""Generated photo libraries for the album tests: Photo rows at known places and times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from media_pipeline.photo import Photo

# (latitude, longitude, country); distances: Munich-Garching 14 km, Munich-Paris 684 km,
# Paris-La Défense 9 km, Florence-Siena 51 km, Florence-Pisa 69 km, Siena-Pisa 87 km,
# Pisa-Lucca 16 km, Lucca-Florence 61 km, Rome-Milan 477 km, Munich-Augsburg 57 km.
PLACES: dict[str, tuple[float, float, str]] = {
    "Munich": (48.1374, 11.5755, "Germany"),
    "Garching": (48.2490, 11.6510, "Germany"),
    "Augsburg": (48.3705, 10.8978, "Germany"),
    "Berlin": (52.5200, 13.4050, "Germany"),
    "Paris": (48.8566, 2.3522, "France"),
    "La Défense": (48.8920, 2.2360, "France"),
    "Lyon": (45.7640, 4.8357, "France"),
    "Florence": (43.7696, 11.2558, "Italy"),
    "Siena": (43.3188, 11.3308, "Italy"),
    "Pisa": (43.7228, 10.4017, "Italy"),
    "Lucca": (43.8429, 10.5027, "Italy"),
    "Rome": (41.9028, 12.4964, "Italy"),
    "Milan": (45.4642, 9.1900, "Italy"),
}


def make_photo(
    file_id: int,
    local: datetime | None,
    place: str | None = None,
    *,
    utc_offset: float = 1.0,
    zone_known: bool = True,
    people: tuple[str, ...] = (),
) -> Photo:
    """A photo taken at `local` wall-clock time in `place` (None: no GPS, so no city either)."""
    utc = local - timedelta(hours=utc_offset) if local is not None and zone_known else None
    if place is None:
        return Photo(file_id, utc, local, None, None, None, None, people)
    latitude, longitude, country = PLACES[place]
    return Photo(file_id, utc, local, latitude, longitude, place, country, people)


@dataclass
class Library:
    """Photos with consecutive file ids, and the events they were generated as."""

    photos: list[Photo] = field(default_factory=list)
    expected: list[set[int]] = field(default_factory=list)

    def add(
        self,
        local: datetime | None,
        place: str | None = None,
        *,
        utc_offset: float = 1.0,
        zone_known: bool = True,
    ) -> Photo:
        photo = make_photo(
            len(self.photos) + 1, local, place, utc_offset=utc_offset, zone_known=zone_known
        )
        self.photos.append(photo)
        return photo

    def event(
        self,
        shots: list[tuple[datetime, str | None]],
        *,
        utc_offset: float = 1.0,
        zone_known: bool = True,
    ) -> set[int]:
        """Adds `(local time, place)` shots as one expected event; returns its file ids."""
        ids = {
            self.add(local, place, utc_offset=utc_offset, zone_known=zone_known).file_id
            for local, place in shots
        }
        self.expected.append(ids)
        return ids


def every(
    start: datetime, step: timedelta, count: int, place: str | None
) -> list[tuple[datetime, str | None]]:
    """`count` shots at `place`, `step` apart from `start`."""
    return [(start + i * step, place) for i in range(count)]
