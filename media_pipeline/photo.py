"""What several rooms share about one photo, below both the catalog that stores it and the
packages that work on it: the row albums group (``Photo``), a line of text read in it
(``TextLine``) and the folding that makes its text searchable."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any


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


@dataclass(frozen=True)
class TextLine:
    """One recognised line; ``box`` is (x1, y1, x2, y2) as fractions of the upright image, so
    it holds for the original and every derivative alike."""

    text: str
    score: float
    box: tuple[float, float, float, float]

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "score": round(self.score, 4), "box": list(self.box)}


def fold(text: str) -> str:
    """Case- and accent-folded, so "CAFÉ" in a photo is found by "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
