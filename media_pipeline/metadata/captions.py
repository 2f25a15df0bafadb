"""Description, rating and keywords: the fields people write, cleaned of what cameras write.

Cameras fill EXIF ImageDescription with their own name ("SONY DSC", "OLYMPUS DIGITAL
CAMERA"): that is not a caption, and a catalog that shows it as one buries the real ones.
Ratings follow XMP's scale: 0 (unrated) to 5 stars, -1 "rejected"; anything else is a
writer's bug and is dropped. Keywords merge every source without repeats, keeping the
first spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from media_pipeline.metadata.values import number, text

MIN_RATING, MAX_RATING = -1, 5
MAX_KEYWORDS = 200
_BOILERPLATE = re.compile(
    r"""^(?:[\w\-]+\s+dsc|olympus\s+digital\s+camera|digital\s+camera|kodak\s+digital\s+still
    \s+camera|default|dcim|image|picture|photo|camera|untitled|no\s+description|description
    |<?\s*insert\s+description\s*>?|exif_jpeg_picture|[\w\-]+\s+digital\s+camera)$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_boilerplate(value: str, *camera: str | None) -> bool:
    """True for text a camera or app writes by itself: its brand, model or a stock phrase."""
    folded = " ".join(value.split()).casefold()
    if not folded or _BOILERPLATE.match(folded):
        return True
    return any(name and folded == " ".join(name.split()).casefold() for name in camera)


def description(candidates: Iterable[Any], *camera: str | None) -> str | None:
    """The first candidate that is real text and not camera boilerplate."""
    for candidate in candidates:
        value = text(candidate)
        if value and not is_boilerplate(value, *camera):
            return value
    return None


def rating(value: Any) -> int | None:
    """A star rating -1..5 from "3", "3.0" or 3; None for anything outside or unreadable."""
    if isinstance(value, str | bytes):
        try:
            value = float(text(value) or "")
        except ValueError:
            return None
    found = number(value)
    if found is None or found != int(found) or not MIN_RATING <= found <= MAX_RATING:
        return None
    return int(found)


def keywords(*sources: Iterable[Any]) -> list[str]:
    """Keywords of every source in order, each once (compared case-insensitively)."""
    merged: dict[str, str] = {}
    for source in sources:
        for raw in source:
            value = text(raw)
            if value and value.casefold() not in merged and len(merged) < MAX_KEYWORDS:
                merged[value.casefold()] = value
    return list(merged.values())


def hierarchy_leaves(values: Iterable[Any]) -> list[str]:
    """Each level of Lightroom's hierarchical keywords ("Places|Portugal|Lisbon")."""
    return [part for value in values for part in (text(value) or "").split("|")]
