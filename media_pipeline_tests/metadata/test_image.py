from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from media_pipeline.metadata.errors import MediaError
from media_pipeline.metadata.formats import register_plugins
from media_pipeline.metadata.image import UnidentifiedContent, read_image
from media_pipeline_tests.metadata.samples import (
    jxl_codestream_header,
    make_exif,
    png_header_bomb,
    png_with_late_exif,
    write_image,
)

LIMIT = 250_000_000


def read(path, data=None, *, ext=None, max_pixels=LIMIT, verify=True):
    ext = ext if ext is not None else "." + str(path).rsplit(".", 1)[-1].lower()
    return read_image(str(path), data, ext=ext, max_pixels=max_pixels, verify=verify)


def test_pillow_global_pixel_limit_is_not_applied() -> None:
    """A 200 MP photo (e.g. a Samsung 200 MP sensor) is within our 250 MP limit, although
    Pillow's process-wide default would refuse it at open."""
    data = png_header_bomb(20_000, 10_000)
    register_plugins()
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))
    info = read("big.png", data)
    assert (info.width, info.height) == (20_000, 10_000)


def test_pixel_limit_message() -> None:
    with pytest.raises(MediaError) as caught:
        read("bomb.png", png_header_bomb(40_000, 40_000))
    assert str(caught.value) == (
        "image is 40000x40000 (1600.0 MP), above the 250 MP limit (scan setting max_megapixels)"
    )


def test_jxl_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(MediaError, match=r"image is 100000x70000 \(7000\.0 MP\)"):
        read("bomb.jxl", jxl_codestream_header(100_000, 70_000))


def test_truncated_jpeg_only_caught_when_verifying(assets) -> None:
    data = (assets / "albums/nature/prairie_falcon.jpg").read_bytes()
    cut = data[: len(data) // 2]
    with pytest.raises(MediaError, match=r"^image is truncated or corrupt: image file is trunc"):
        read("cut.jpg", cut)
    info = read("cut.jpg", cut, verify=False)
    assert (info.width, info.height) == (800, 533)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_png_crc_damage(tmp_path) -> None:
    data = bytearray(write_image(tmp_path / "a.png").read_bytes())
    data[100] ^= 0xFF  # inside IDAT
    with pytest.raises(MediaError, match=r"^image is truncated or corrupt"):
        read("a.png", bytes(data))
    assert read("a.png", bytes(data), verify=False).width == 64


def test_png_exif_after_image_data() -> None:
    exif = make_exif({0x0110: "PNG Cam", 0x0112: 8}, {0x9003: "2023:01:02 15:30:45"})
    info = read("late.png", png_with_late_exif(exif))
    assert (info.exif.model, info.exif.orientation) == ("PNG Cam", 8)
    assert info.exif.original is not None


def test_avif_keeps_stored_size_and_exif_orientation(tmp_path) -> None:
    path = write_image(tmp_path / "o.avif", exif=make_exif({0x0112: 6}))
    info = read(path)
    assert (info.mime, info.width, info.height, info.exif.orientation) == ("image/avif", 64, 48, 6)


def test_heif_is_decoded_upright(assets) -> None:
    """pillow-heif applies the HEIF rotation (irot) itself and resets EXIF orientation."""
    info = read(assets / "formats/motionphoto/samsung-one-ui-6.heic")
    assert (info.width, info.height, info.exif.orientation) == (3000, 4000, 1)


def test_unidentified_content() -> None:
    with pytest.raises(UnidentifiedContent) as caught:
        read("x.jpg", b"\x00" * 100)
    assert str(caught.value) == (
        "not a readable image: cannot identify image file (content does not match .jpg)"
    )


def test_data_is_used_instead_of_the_file(assets, tmp_path) -> None:
    data = (assets / "formats/webp/denali.webp").read_bytes()
    info = read(tmp_path / "does-not-exist.webp", data)
    assert (info.mime, info.width, info.height) == ("image/webp", 600, 315)


def test_missing_file_is_an_os_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        read(tmp_path / "gone.jpg")
