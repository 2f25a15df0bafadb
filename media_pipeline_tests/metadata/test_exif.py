from __future__ import annotations

from datetime import datetime, timedelta

import exifread
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from media_pipeline.metadata.capture_time import TimeCandidate
from media_pipeline.metadata.exif import (
    ExifFields,
    fields_from_exifread,
    fields_from_ifds,
    fields_from_pillow,
    format_exposure,
    orientation_value,
)
from media_pipeline.metadata.formats import register_plugins
from media_pipeline_tests.metadata.samples import dms


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (1 / 160, "1/160"),
        (0.00625, "1/160"),
        (0.0011273957158962795, "1/887"),
        (1 / 30, "1/30"),
        (0.25, "1/4"),
        (0.5, "1/2"),
        (0.4, "0.4"),
        (0.3, "0.3"),
        (1.0, "1"),
        (2.0, "2"),
        (2.5, "2.5"),
        (30.0, "30"),
        (0.0, None),
        (-1.0, None),
        (None, None),
    ],
)
def test_format_exposure(seconds, expected) -> None:
    assert format_exposure(seconds) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (6, 6), (8, 8), ((6,), 6), (0, None), (9, None), (65535, None), ("6", None)],
)
def test_orientation_value(value, expected) -> None:
    assert orientation_value(value) == expected


def test_fields_from_ifds_cleans_values() -> None:
    fields = fields_from_ifds(
        {0x010F: "PENTAX Corporation \x00", 0x0110: "PENTAX K10D        \x00", 0x0112: 3},
        {
            0x829A: IFDRational(10, 1600),
            0x829D: IFDRational(28, 10),
            0x8827: (100, 200),
            0x920A: IFDRational(399, 100),
            0xA434: "  EF50mm f/1.8 II\x00",
            0x9003: "2008:05:23 15:54:59\x00",
            0x9291: "12",
            0x9011: "+02:00",
            0x9004: "    :  :     :  :  ",
        },
        {},
    )
    assert fields == ExifFields(
        make="PENTAX Corporation",
        model="PENTAX K10D",
        lens_model="EF50mm f/1.8 II",
        exposure_time="1/160",
        f_number=2.8,
        iso=100,
        focal_length=3.99,
        orientation=3,
        original=TimeCandidate(
            "exif:DateTimeOriginal",
            wall=datetime(2008, 5, 23, 15, 54, 59, 120000),
            offset=timedelta(hours=2),
        ),
    )


def test_exif_tags_in_ifd0_are_found_too() -> None:
    """TIFF/EP files (some RAWs) keep exposure and dates in IFD0."""
    fields = fields_from_ifds({0x829D: 8.0, 0x9003: "2020:01:01 00:00:01", 0x8833: 640}, {}, {})
    assert fields.f_number == 8.0
    assert fields.iso == 640
    assert fields.original is not None and fields.original.wall == datetime(2020, 1, 1, 0, 0, 1)


def test_bad_values_are_dropped() -> None:
    fields = fields_from_ifds(
        {0x010F: b"\xff\xfe", 0x0112: 0},
        {0x829A: IFDRational(1, 0), 0x829D: (), 0x8827: 0, 0x920A: "fifty"},
        {},
    )
    assert fields.orientation is None
    assert fields.exposure_time is None
    assert fields.f_number is None
    assert fields.iso is None
    assert fields.focal_length is None


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        (
            {1: "N", 2: dms(41, 13, 13.08), 3: "W", 4: dms(96, 4, 17.85)},
            (41.2203, -96.071625),
        ),
        ({1: "S", 2: dms(33, 51, 35.34), 3: "E", 4: dms(151, 12, 3)}, (-33.859817, 151.200833)),
        ({1: b"S\x00", 2: (33.5,), 3: "e", 4: (151.25,)}, (-33.5, 151.25)),
        ({2: dms(10, 0, 0), 4: dms(20, 0, 0)}, (10.0, 20.0)),  # refs missing: N/E
        ({1: "\x00", 2: (float("nan"),) * 3, 3: "\x00", 4: (float("nan"),) * 3}, None),
        ({1: "N", 2: dms(0, 0, 0), 3: "E", 4: dms(0, 0, 0)}, None),  # 0/0: no fix
        ({1: "N", 2: dms(95, 0, 0), 3: "E", 4: dms(10, 0, 0)}, None),
        ({1: "N", 2: dms(45, 0, 0), 3: "E", 4: dms(181, 0, 0)}, None),
        ({1: "N", 2: dms(45, 0, 0)}, None),
        ({1: "N", 2: "garbage", 3: "E", 4: dms(10, 0, 0)}, None),
    ],
)
def test_gps_coordinates(gps, expected) -> None:
    fields = fields_from_ifds({}, {}, gps)
    assert (fields.latitude, fields.longitude) == (expected or (None, None))


def test_gps_time() -> None:
    fields = fields_from_ifds({}, {}, {0x1D: "2022:01:10", 0x07: (21.0, 15.0, 33.519)})
    assert fields.gps_time == TimeCandidate(
        "gps:DateTime", instant=datetime(2022, 1, 10, 21, 15, 33, 519000)
    )


def test_pillow_and_exifread_agree_on_a_real_heic(assets) -> None:
    path = assets / "formats/heic/IMG_2682.heic"
    register_plugins()
    with Image.open(path) as image:
        from_pillow = fields_from_pillow(image.getexif())
    with open(path, "rb") as handle:
        from_exifread = fields_from_exifread(exifread.process_file(handle, details=False))
    assert from_pillow == from_exifread
    assert from_pillow.make == "Apple"
    assert from_pillow.model == "iPhone 7"
    assert from_pillow.lens_model == "iPhone 7 back camera 3.99mm f/1.8"
    assert from_pillow.exposure_time == "1/887"
    assert (from_pillow.f_number, from_pillow.iso, from_pillow.focal_length) == (1.8, 20, 3.99)
    assert (from_pillow.latitude, from_pillow.longitude) == (41.2203, -96.071625)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_fields_from_pillow_with_a_broken_ifd() -> None:
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00")
    assert fields_from_pillow(exif) == ExifFields()
