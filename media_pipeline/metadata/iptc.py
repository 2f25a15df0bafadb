"""IPTC-IIM (the Photoshop APP13 block): caption, keywords and the creation date with its offset.

Pillow's IptcImagePlugin finds and splits the datasets; this module only reads the few that
the catalog keeps. Values are UTF-8 when the envelope says so (ESC % G), else usually Latin-1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, IptcImagePlugin

from media_pipeline.metadata.capture_time import IPTC_CREATED, TimeCandidate, parse_offset

CHARSET = (1, 90)
CAPTION = (2, 120)
KEYWORDS = (2, 25)
DATE_CREATED = (2, 55)
TIME_CREATED = (2, 60)
_UTF8 = b"\x1b%G"
_DATE = re.compile(rb"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_TIME = re.compile(rb"^\s*(\d{2}):?(\d{2}):?(\d{2})\s*([+-]\d{2}:?\d{2})?\s*$")


@dataclass
class IptcFields:
    caption: str | None = None
    keywords: list[str] = field(default_factory=list)
    created: TimeCandidate | None = None


def _values(info: dict[tuple[int, int], Any], key: tuple[int, int]) -> list[bytes]:
    value = info.get(key)
    if value is None:
        return []
    return [item for item in (value if isinstance(value, list) else [value]) if item]


def _decode(raw: bytes, utf8: bool) -> str | None:
    if not utf8:
        try:
            return raw.decode("utf-8").strip() or None
        except UnicodeDecodeError:
            return raw.decode("latin-1").strip() or None
    return raw.decode("utf-8", "replace").strip() or None


def created(date: bytes | None, clock: bytes | None) -> TimeCandidate | None:
    """DateCreated "20230402" with TimeCreated "183000+0200" (the offset kept)."""
    day = _DATE.match(date or b"")
    if day is None:
        return None
    hour = minute = second = 0
    offset: timedelta | None = None
    moment = _TIME.match(clock or b"")
    if moment is not None:
        hour, minute, second = (int(part) for part in moment.groups()[:3])
        if moment[4]:
            offset = parse_offset(moment[4].decode())
    try:
        wall = datetime(*(int(part) for part in day.groups()), hour, minute, second)
    except ValueError:
        return None
    if not 1900 <= wall.year <= 2100:
        return None
    return TimeCandidate(IPTC_CREATED, wall=wall, offset=offset)


def parse_iptc(info: dict[tuple[int, int], Any] | None) -> IptcFields:
    """The catalogued fields of parsed IPTC datasets ({(record, dataset): bytes | [bytes]})."""
    if not info:
        return IptcFields()
    utf8 = _UTF8 in b"".join(_values(info, CHARSET))
    captions = [_decode(raw, utf8) for raw in _values(info, CAPTION)]
    return IptcFields(
        caption=next((c for c in captions if c), None),
        keywords=[k for raw in _values(info, KEYWORDS) if (k := _decode(raw, utf8))],
        created=created(
            next(iter(_values(info, DATE_CREATED)), None),
            next(iter(_values(info, TIME_CREATED)), None),
        ),
    )


def read_iptc(image: Image.Image) -> IptcFields:
    """IPTC of an open JPEG or TIFF; damaged blocks count as none (metadata is best effort)."""
    try:
        return parse_iptc(IptcImagePlugin.getiptcinfo(image))
    except Exception:
        return IptcFields()
