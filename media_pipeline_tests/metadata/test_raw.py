from __future__ import annotations

import os

import pytest

from media_pipeline.metadata.errors import MediaError
from media_pipeline.metadata.raw import read_raw
from media_pipeline_tests.metadata.samples import make_dng


@pytest.mark.parametrize(("orientation", "expected"), [(1, 1), (3, 3), (6, 6), (8, 8)])
def test_dng_size_orientation_and_exif(tmp_path, orientation, expected) -> None:
    path = tmp_path / "IMG_0001.DNG"
    path.write_bytes(make_dng(64, 48, orientation=orientation))
    for data in (None, path.read_bytes()):
        info = read_raw(str(path), data, ext=".dng", max_pixels=250_000_000)
        assert (info.mime, info.width, info.height) == ("image/x-adobe-dng", 64, 48)
        assert info.orientation == expected
        assert (info.exif.make, info.exif.model) == ("Acme", "RawCam 1")
        assert info.exif.exposure_time == "1/125"
        assert (info.exif.f_number, info.exif.iso, info.exif.focal_length) == (2.8, 400, 50.0)
        assert info.exif.original is not None
        assert info.exif.original.source == "exif:DateTimeOriginal"


def test_pixel_limit(tmp_path) -> None:
    path = tmp_path / "a.dng"
    path.write_bytes(make_dng(64, 48))
    with pytest.raises(MediaError, match=r"image is 64x48 .* above the 0.001 MP limit"):
        read_raw(str(path), None, ext=".dng", max_pixels=1000)


@pytest.mark.parametrize(
    "content", [os.urandom(4096), b"II*\x00" + os.urandom(4096), make_dng()[:300]]
)
def test_corrupt_raw(tmp_path, content) -> None:
    path = tmp_path / "bad.dng"
    path.write_bytes(content)
    with pytest.raises(MediaError, match="not a readable RAW image"):
        read_raw(str(path), None, ext=".dng", max_pixels=250_000_000)
