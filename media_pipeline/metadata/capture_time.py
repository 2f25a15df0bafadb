"""When a photo or video was taken, from the best source the file offers.

The priority chain (the first source that yields a valid time wins; its name is
recorded as ``taken_at_source``):

1. ``exif:DateTimeOriginal``: EXIF DateTimeOriginal (0x9003) with SubSecTimeOriginal
   (0x9291) and OffsetTimeOriginal (0x9011).
2. ``exif:CreateDate``: EXIF DateTimeDigitized (0x9004) with SubSecTimeDigitized and
   OffsetTimeDigitized; for videos ``video:creation_time``, the container's
   ``creation_time`` (UTC; Apple's ``com.apple.quicktime.creationdate`` supplies the
   local offset, or the time itself when ``creation_time`` is missing).
3. XMP, the sidecar first, then the packet embedded in the file: ``exif:DateTimeOriginal``,
   ``xmp:CreateDate``, ``photoshop:DateCreated`` (may carry an offset), recorded as
   ``xmp:DateTimeOriginal`` / ``xmp:CreateDate`` / ``xmp:DateCreated``; then IPTC
   DateCreated + TimeCreated (with its offset) — ``iptc:DateCreated``.
4. ``gps:DateTime``: GPSDateStamp + GPSTimeStamp (UTC); then XMP ``exif:GPSDateTime``
   (sidecar first; what geotaggers and phone apps write) — ``xmp:GPSDateTime``.
5. ``filename``: IMG_20230102_153045, VID_..., PXL_20230102_153045123, 20230102_153045,
   Screenshot_2023-01-02-15-30-45, 2023-01-02 15.30.45, IMG-20230102-WA0001 (date only).
6. ``file:mtime``: the file's modification time.

Placeholder values ("0000:00:00 00:00:00", blanks) and dates outside 1900..2100 are
rejected and the chain falls through.

Sources record either a local wall-clock time (EXIF, XMP, file name), possibly with its
UTC offset, or an absolute instant (GPS, video ``creation_time``, mtime). The time zone
is the IANA zone at the GPS position when there is one; otherwise it follows from the
offset: whole hours give "Etc/GMT-1"-style names (the sign is inverted, as POSIX has
it), 0 gives "UTC", others give no name though UTC is still computed. A wall time
without offset is converted to UTC only when the zone is known. An instant is shown
in the recorded offset, else the GPS zone, else the machine's local zone (with
``time_zone`` None, since that zone is a guess). The file's mtime is always shown in the
machine's local zone, with ``time_zone`` None, even when GPS gives a zone: copies made
together must read the same clock time, and an mtime says nothing about where it was taken.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from media_pipeline.metadata.values import number, text

EXIF_ORIGINAL = "exif:DateTimeOriginal"
EXIF_CREATE = "exif:CreateDate"
VIDEO_CREATION = "video:creation_time"
XMP_ORIGINAL = "xmp:DateTimeOriginal"
XMP_CREATE = "xmp:CreateDate"
XMP_CREATED = "xmp:DateCreated"
IPTC_CREATED = "iptc:DateCreated"
GPS_TIME = "gps:DateTime"
XMP_GPS_TIME = "xmp:GPSDateTime"
FILENAME = "filename"
MTIME = "file:mtime"

MIN_YEAR, MAX_YEAR = 1900, 2100
_MAX_OFFSET = timedelta(hours=14)

_DATETIME = re.compile(
    r"""^\s*(?P<y>\d{4})[:\-/.](?P<mo>\d{1,2})[:\-/.](?P<d>\d{1,2})
    (?:[\sT]+(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:[.,](?P<f>\d+))?)?)?
    \s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?\s*$""",
    re.VERBOSE,
)
_OFFSET = re.compile(r"^\s*(?:(?P<z>Z)|(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})?)\s*$")
# IMG_20230102_153045, VID_..., PXL_20230102_153045123, 20230102_153045, 20230102153045
_NAME_COMPACT = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})[_\-T ]?(\d{2})(\d{2})(\d{2})(\d{0,3})(?!\d)"
)
# Screenshot_2023-01-02-15-30-45, 2023-01-02 15.30.45, Screenshot 2023-01-02 at 15.30.45
_NAME_DASHED = re.compile(
    r"(?<!\d)((?:19|20)\d{2})-(\d{2})-(\d{2})[ _\-T]+(?:at )?"
    r"(\d{2})[.\-:](\d{2})[.\-:](\d{2})(?!\d)"
)
# WhatsApp: IMG-20230102-WA0001 (no time of day)
_NAME_WHATSAPP = re.compile(r"(?:IMG|VID|PTT|AUD|STK)-((?:19|20)\d{2})(\d{2})(\d{2})-WA\d+", re.I)


@dataclass(frozen=True)
class TimeCandidate:
    """One source's idea of the capture time, before zones are applied."""

    source: str
    wall: datetime | None = None  # local wall-clock time as recorded (naive)
    offset: timedelta | None = None  # UTC offset of the local time, when recorded
    instant: datetime | None = None  # absolute instant in UTC (naive), for GPS/video/mtime


@dataclass(frozen=True)
class CaptureTime:
    """The resolved capture time (all datetimes naive)."""

    taken_at: datetime | None = None
    time_zone: str | None = None
    taken_at_utc: datetime | None = None
    source: str | None = None


def _valid_year(value: datetime) -> bool:
    return MIN_YEAR <= value.year <= MAX_YEAR


def parse_offset(value: Any) -> timedelta | None:
    """A UTC offset such as "+01:00", "-0800" or "Z"; None when blank or out of range."""
    value = text(value)
    match = _OFFSET.match(value) if value else None
    if not match:
        return None
    if match["z"]:
        return timedelta(0)
    minutes = int(match["h"]) * 60 + int(match["m"] or 0)
    offset = timedelta(minutes=-minutes if match["sign"] == "-" else minutes)
    return offset if abs(offset) <= _MAX_OFFSET else None


def parse_subsec(value: Any) -> int | None:
    """Microseconds from an EXIF SubSecTime value ("348" -> 348000); None if not digits."""
    value = text(value)
    if not value or not value.isdigit():
        return None
    return int(value[:6].ljust(6, "0"))


def parse_datetime(value: Any) -> tuple[datetime, timedelta | None] | None:
    """A date-time in EXIF ("2019:03:21 11:04:22") or ISO 8601 form, with its offset.

    Accepts fractional seconds, a trailing "Z"/"+01:00" offset and date-only values
    (midnight). Returns None for placeholders, impossible dates and years outside
    1900..2100.
    """
    value = text(value)
    match = _DATETIME.match(value) if value else None
    if not match:
        return None
    fraction = match["f"] or ""
    try:
        parsed = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
        )
    except ValueError:
        return None
    if not _valid_year(parsed):
        return None
    offset = parse_offset(match["tz"]) if match["tz"] else None
    return parsed, offset


def exif_candidate(source: str, date: Any, subsec: Any, offset: Any) -> TimeCandidate | None:
    """A wall-time candidate from an EXIF date tag and its SubSecTime/OffsetTime tags."""
    parsed = parse_datetime(date)
    if parsed is None:
        return None
    wall, inline_offset = parsed
    micro = parse_subsec(subsec)
    if micro is not None:
        wall = wall.replace(microsecond=micro)
    tag_offset = parse_offset(offset)
    return TimeCandidate(
        source, wall=wall, offset=inline_offset if tag_offset is None else tag_offset
    )


def iso_candidate(source: str, value: Any) -> TimeCandidate | None:
    """A wall-time candidate from an XMP (ISO 8601) date, keeping its offset."""
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return TimeCandidate(source, wall=parsed[0], offset=parsed[1])


def gps_candidate(datestamp: Any, timestamp: Any) -> TimeCandidate | None:
    """An instant from GPSDateStamp ("2019:03:21") and GPSTimeStamp ((h, m, s), UTC)."""
    parsed = parse_datetime(datestamp)
    if parsed is None or not isinstance(timestamp, tuple | list) or len(timestamp) != 3:
        return None
    hours, minutes, seconds = (number(part) for part in timestamp)
    if hours is None or minutes is None or seconds is None:
        return None
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
        return None
    day = parsed[0].replace(hour=0, minute=0, second=0, microsecond=0)
    instant = day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return TimeCandidate(GPS_TIME, instant=instant)


def filename_candidate(path: str) -> TimeCandidate | None:
    """A wall-time candidate from a camera/phone/app file-name pattern."""
    name = os.path.basename(path)
    for pattern in (_NAME_COMPACT, _NAME_DASHED):
        for match in pattern.finditer(name):
            millis = match.group(7) if pattern is _NAME_COMPACT else ""
            wall = _date_from_parts(*match.groups()[:6], millis=millis)
            if wall is not None:
                return TimeCandidate(FILENAME, wall=wall)
    for match in _NAME_WHATSAPP.finditer(name):
        wall = _date_from_parts(*match.groups(), "0", "0", "0")
        if wall is not None:
            return TimeCandidate(FILENAME, wall=wall)
    return None


def _date_from_parts(
    year: str, month: str, day: str, hour: str, minute: str, second: str, millis: str = ""
) -> datetime | None:
    try:
        wall = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if millis:
        wall = wall.replace(microsecond=int(millis.ljust(3, "0")) * 1000)
    return wall if _valid_year(wall) else None


def mtime_candidate(mtime: float | None) -> TimeCandidate | None:
    """An instant from a file modification time (epoch seconds)."""
    if mtime is None or not math.isfinite(mtime):
        return None
    try:
        instant = datetime.fromtimestamp(mtime, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
    return TimeCandidate(MTIME, instant=instant) if _valid_year(instant) else None


def zone_for_offset(offset: timedelta | None) -> str | None:
    """An IANA name for a fixed offset: "UTC", "Etc/GMT-1" for +01:00; None if not whole hours."""
    if offset is None:
        return None
    if offset == timedelta(0):
        return "UTC"
    hours, rest = divmod(offset, timedelta(hours=1))
    if rest or not -12 <= hours <= 14:
        return None
    return f"Etc/GMT{-hours:+d}"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _machine_local(instant: datetime) -> datetime | None:
    try:
        return instant.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def resolve(candidates: Iterable[TimeCandidate | None], gps_zone: str | None) -> CaptureTime:
    """The capture time from the first candidate present, in the GPS zone if known."""
    for candidate in candidates:
        if candidate is not None:
            return _resolve_one(candidate, gps_zone)
    return CaptureTime()


def _resolve_one(candidate: TimeCandidate, gps_zone: str | None) -> CaptureTime:
    if candidate.source == MTIME:
        gps_zone = None  # one reading of every mtime: the machine's clock (module docstring)
    zone_name = gps_zone or zone_for_offset(candidate.offset)
    zone = _zone(zone_name)
    if zone is None:
        zone_name = None
    offset = candidate.offset
    if candidate.instant is not None:
        utc = candidate.instant
        if offset is not None:
            local = utc + offset
        elif zone is not None:
            local = utc.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        else:
            local = _machine_local(utc)
        return CaptureTime(local, zone_name, utc, candidate.source)
    local = candidate.wall
    utc = None
    if local is not None:
        if offset is not None:
            utc = local - offset
        elif zone is not None:
            utc = local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    return CaptureTime(local, zone_name, utc, candidate.source)
