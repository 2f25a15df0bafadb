"""A photo as what groups photos (albums, their titles and ids) reads of it: one row of
`media_files`, below both the catalog that reads it and the albums that group it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Photo:
    """The catalog columns the album logic reads, one row of `media_files`."""

    file_id: int
    taken_at_utc: datetime | None  # naive UTC; None when the time zone is unknown
    taken_at: datetime | None  # naive local wall-clock time, what the camera showed
    latitude: float | None
    longitude: float | None
    city: str | None
    country: str | None
    people: tuple[str, ...] = ()  # named people in the photo, may be empty
    content_hash: str | None = None  # copies of one photo share it

    @property
    def content(self) -> str | int:
        """What makes two rows the same photo: the content, else the row itself."""
        return self.content_hash or self.file_id

    @property
    def position(self) -> tuple[float, float] | None:
        """(lat, lon) when both are known and finite, else None (treated as "no GPS")."""
        if self.latitude is None or self.longitude is None:
            return None
        if not (math.isfinite(self.latitude) and math.isfinite(self.longitude)):
            return None
        return self.latitude, self.longitude
