"""Camera, exposure, orientation, GPS, date, caption and rating fields from EXIF tags.

One parser for both tag sources: Pillow's ``Image.Exif`` (JPEG, HEIC, WebP, PNG,
AVIF, JXL, TIFF) and ExifRead (RAW files Pillow cannot open). Each is first turned into
three ``{tag id: value}`` maps (IFD0, Exif IFD, GPS IFD). EXIF is metadata: a damaged
or odd tag is dropped, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from media_pipeline.metadata.apple import MAKER_NOTE, content_identifier
from media_pipeline.metadata.captions import rating
from media_pipeline.metadata.capture_time import (
    EXIF_CREATE,
    EXIF_ORIGINAL,
    TimeCandidate,
    exif_candidate,
    gps_candidate,
)
from media_pipeline.metadata.places import valid_coordinates
from media_pipeline.metadata.values import first, number, text

EXIF_IFD = 0x8769
GPS_IFD = 0x8825

IMAGE_DESCRIPTION = 0x010E
MAKE = 0x010F
MODEL = 0x0110
ORIENTATION = 0x0112
RATING = 0x4746  # Microsoft's, written by Windows and many cameras
EXPOSURE_TIME = 0x829A
F_NUMBER = 0x829D
ISO_SPEED_RATINGS = 0x8827  # PhotographicSensitivity in EXIF 2.3
ISO_SPEED = 0x8833
DATE_TIME_ORIGINAL = 0x9003
DATE_TIME_DIGITIZED = 0x9004
OFFSET_TIME_ORIGINAL = 0x9011
OFFSET_TIME_DIGITIZED = 0x9012
FOCAL_LENGTH = 0x920A
SUBSEC_TIME_ORIGINAL = 0x9291
SUBSEC_TIME_DIGITIZED = 0x9292
LENS_MODEL = 0xA434

GPS_LATITUDE_REF = 0x01
GPS_LATITUDE = 0x02
GPS_LONGITUDE_REF = 0x03
GPS_LONGITUDE = 0x04
GPS_TIME_STAMP = 0x07
GPS_DATE_STAMP = 0x1D

Tags = Mapping[int, Any]


@dataclass
class ExifFields:
    """What the catalogue keeps from EXIF; every field may be missing."""

    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    exposure_time: str | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    orientation: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    original: TimeCandidate | None = None  # DateTimeOriginal
    digitized: TimeCandidate | None = None  # DateTimeDigitized ("CreateDate")
    gps_time: TimeCandidate | None = None
    description: str | None = None  # ImageDescription, boilerplate included (filtered later)
    rating: int | None = None
    content_identifier: str | None = None  # Apple MakerNote: pairs a Live Photo's video


def format_exposure(seconds: float | None) -> str | None:
    """Exposure time as photographers write it: "1/160", "0.4", "2", "2.5".

    Fractions up to 1/4 s (and exact reciprocals such as 1/2) are "1/N"; other times
    below a second and longer ones are decimals with at most one digit.
    """
    if seconds is None or seconds <= 0:
        return None
    if seconds < 1:
        reciprocal = 1 / seconds
        if seconds <= 0.25 or abs(reciprocal - round(reciprocal)) < 0.01 * reciprocal:
            return f"1/{round(reciprocal)}"
    return f"{round(seconds, 1):g}"


def orientation_value(value: Any) -> int | None:
    """An EXIF orientation 1..8; None for anything else."""
    value = number(value)
    if value is None or value != int(value) or not 1 <= value <= 8:
        return None
    return int(value)


def _coordinate(value: Any, ref: Any) -> float | None:
    """Degrees from a (deg, min, sec) value and its N/S/E/W reference."""
    parts = value if isinstance(value, tuple | list) else (value,)
    numbers = [number(part) for part in parts[:3]]
    if not numbers or any(part is None for part in numbers):
        return None
    degrees = sum(part / 60**index for index, part in enumerate(numbers))  # type: ignore[operator]
    ref_text = (text(ref) or "").upper()
    if ref_text[:1] in ("S", "W"):
        degrees = -abs(degrees)
    return degrees


def _positive_round(value: Any, digits: int) -> float | None:
    value = number(value)
    return round(value, digits) if value is not None and value > 0 else None


def _iso(value: Any) -> int | None:
    value = number(value)
    return int(value) if value is not None and value >= 1 else None


def fields_from_ifds(ifd0: Tags, exif_ifd: Tags, gps_ifd: Tags) -> ExifFields:
    """ExifFields from tag maps; Exif-IFD tags are also looked for in IFD0 (TIFF/EP)."""

    def tag(key: int) -> Any:
        value = exif_ifd.get(key)
        return ifd0.get(key) if value is None else value

    fields = ExifFields(
        make=text(ifd0.get(MAKE)),
        model=text(ifd0.get(MODEL)),
        lens_model=text(tag(LENS_MODEL)),
        exposure_time=format_exposure(number(tag(EXPOSURE_TIME))),
        f_number=_positive_round(tag(F_NUMBER), 2),
        iso=_iso(tag(ISO_SPEED_RATINGS)) or _iso(tag(ISO_SPEED)),
        focal_length=_positive_round(tag(FOCAL_LENGTH), 2),
        orientation=orientation_value(first(ifd0.get(ORIENTATION))),
        description=text(ifd0.get(IMAGE_DESCRIPTION)),
        rating=rating(first(ifd0.get(RATING))),
        content_identifier=content_identifier(exif_ifd.get(MAKER_NOTE)),
        original=exif_candidate(
            EXIF_ORIGINAL,
            tag(DATE_TIME_ORIGINAL),
            tag(SUBSEC_TIME_ORIGINAL),
            tag(OFFSET_TIME_ORIGINAL),
        ),
        digitized=exif_candidate(
            EXIF_CREATE,
            tag(DATE_TIME_DIGITIZED),
            tag(SUBSEC_TIME_DIGITIZED),
            tag(OFFSET_TIME_DIGITIZED),
        ),
    )
    if gps_ifd:
        coordinates = valid_coordinates(
            _coordinate(gps_ifd.get(GPS_LATITUDE), gps_ifd.get(GPS_LATITUDE_REF)),
            _coordinate(gps_ifd.get(GPS_LONGITUDE), gps_ifd.get(GPS_LONGITUDE_REF)),
        )
        if coordinates:
            fields.latitude, fields.longitude = coordinates
        fields.gps_time = gps_candidate(gps_ifd.get(GPS_DATE_STAMP), gps_ifd.get(GPS_TIME_STAMP))
    return fields


def _ifd(exif: Image.Exif, key: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(key))
    except Exception:  # a broken IFD offset: metadata is best effort
        return {}


def fields_from_pillow(exif: Image.Exif) -> ExifFields:
    """ExifFields from Pillow's ``getexif()`` result."""
    try:
        ifd0 = dict(exif)
    except Exception:  # a broken IFD0: metadata is best effort
        return ExifFields()
    return fields_from_ifds(ifd0, _ifd(exif, EXIF_IFD), _ifd(exif, GPS_IFD))


def fields_from_exifread(tags: Mapping[str, Any]) -> ExifFields:
    """ExifFields from ``exifread.process_file`` output ("Image Make", "EXIF ...", "GPS ...")."""
    groups: dict[str, dict[int, Any]] = {"Image": {}, "EXIF": {}, "GPS": {}}
    for key, tag in tags.items():
        group = groups.get(key.split(" ", 1)[0])
        tag_id = getattr(tag, "tag", None)
        if group is None or not isinstance(tag_id, int):
            continue
        values = getattr(tag, "values", None)
        if isinstance(values, list) and len(values) == 1:
            values = values[0]
        elif isinstance(values, list):
            values = tuple(values)
        group.setdefault(tag_id, values)
    return fields_from_ifds(groups["Image"], groups["EXIF"], groups["GPS"])
