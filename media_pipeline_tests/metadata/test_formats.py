from __future__ import annotations

import os

import pytest
from PIL import Image, ImageFile

from media_pipeline.metadata.formats import (
    IMAGE_EXTENSIONS,
    PIL_FORMATS,
    RAW_EXTENSIONS,
    SIDECAR_EXTENSIONS,
    UNSUPPORTED_EXTENSIONS,
    VIDEO_EXTENSIONS,
    classify,
    expected_pil_formats,
    extension,
    looks_like_video,
    register_plugins,
)
from media_pipeline_tests.metadata.samples import write_video


@pytest.mark.parametrize(
    "path",
    ["a.JPG", ".jpg", "..a.jpg", "a.", "..", "...jpg", "a..b", "d.d/noext", "x/.b.jpg", "", "x/"],
)
def test_extension_reads_names_as_splitext_does(path: str) -> None:
    assert extension(path) == os.path.splitext(path)[1].lower()


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("a/IMG_0001.JPG", "image"),
        ("IMG_0001.jpeg", "image"),
        ("x.HEIC", "image"),
        ("x.avif", "image"),
        ("x.jxl", "image"),
        ("x.webp", "image"),
        ("x.png", "image"),
        ("x.tiff", "image"),
        ("DSC_1.NEF", "raw"),
        ("x.dng", "raw"),
        ("x.cr3", "raw"),
        ("x.ARW", "raw"),
        ("VID_1.MP4", "video"),
        ("clip.mov", "video"),
        ("clip.mkv", "video"),
        ("x.m2ts", "video"),
        ("IMG_1.jpg.xmp", "sidecar"),
        ("IMG_1.XMP", "sidecar"),
        ("design.psd", "unsupported"),
        ("logo.svg", "unsupported"),
        ("art.xcf", "unsupported"),
        ("favicon.ico", "unsupported"),
        ("notes.txt", None),
        ("data.json", None),
        ("library.db", None),
        (".DS_Store", None),
        ("Thumbs.db", None),
        ("README", None),
        ("song.mp3", None),
        ("code.ts", None),
        ("._IMG_0001.jpg", None),  # macOS AppleDouble resource fork
        ("dir.jpg/notes.txt", None),
    ],
)
def test_classify(path: str, kind: str | None) -> None:
    assert classify(path) == kind


def test_extension_tables_are_disjoint_lowercase_and_dotted() -> None:
    tables = [
        IMAGE_EXTENSIONS,
        RAW_EXTENSIONS,
        VIDEO_EXTENSIONS,
        SIDECAR_EXTENSIONS,
        UNSUPPORTED_EXTENSIONS,
    ]
    assert sum(len(t) for t in tables) == len(frozenset().union(*tables))
    for table in tables:
        assert all(ext.startswith(".") and ext == ext.lower() for ext in table)


def test_register_plugins_is_idempotent_and_changes_no_limits() -> None:
    max_pixels = Image.MAX_IMAGE_PIXELS
    register_plugins()
    register_plugins()
    for pil_format in PIL_FORMATS:
        assert pil_format in Image.OPEN, pil_format
    assert max_pixels == Image.MAX_IMAGE_PIXELS
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_expected_formats() -> None:
    assert expected_pil_formats(".jpg") == {"JPEG", "MPO"}
    assert expected_pil_formats(".heic") == {"HEIF"}
    assert expected_pil_formats(".dng") == frozenset()


def test_looks_like_video(tmp_path, assets) -> None:
    mp4 = write_video(tmp_path / "v.mp4").read_bytes()[:512]
    assert looks_like_video(mp4)
    assert looks_like_video(b"\x1a\x45\xdf\xa3" + bytes(28))  # Matroska
    assert looks_like_video(b"RIFF\0\0\0\0AVI LIST")
    heic = (assets / "formats/heic/IMG_2682.heic").read_bytes()[:512]
    avif = (assets / "formats/avif/8bit-sRGB.avif").read_bytes()[:512]
    jpeg = (assets / "formats/jpg/el_torcal_rocks.jpg").read_bytes()[:512]
    assert not looks_like_video(heic)
    assert not looks_like_video(avif)
    assert not looks_like_video(jpeg)
