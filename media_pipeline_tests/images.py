"""Test images made on the fly: dated, geotagged JPEGs with real EXIF written by Pillow."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from pathlib import Path

from PIL import Image

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10000))


def make_jpeg(
    path: Path,
    *,
    size: tuple[int, int] = (64, 48),
    color: tuple[int, int, int] = (200, 120, 40),
    taken: datetime | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    make: str | None = None,
    model: str | None = None,
    pixels: Image.Image | None = None,
) -> Path:
    """``pixels``: the picture itself (default: ``size`` of plain ``color``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = pixels.convert("RGB") if pixels is not None else Image.new("RGB", size, color)
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if taken or offset:
        ifd = exif.get_ifd(EXIF_IFD)
        if taken:
            ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            ifd[0x9011] = offset
    if gps:
        lat, lon = gps
        ifd = exif.get_ifd(GPS_IFD)
        ifd[1] = "N" if lat >= 0 else "S"
        ifd[2] = _dms(lat)
        ifd[3] = "E" if lon >= 0 else "W"
        ifd[4] = _dms(lon)
    image.save(path, "JPEG", quality=85, exif=exif)
    return path
