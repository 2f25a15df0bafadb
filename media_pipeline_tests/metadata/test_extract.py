from __future__ import annotations

import contextlib
import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import ImageFile

from media_pipeline.metadata.extract import MediaError, MediaMetadata, extract_metadata
from media_pipeline_tests.metadata.samples import (
    dms,
    make_dng,
    make_exif,
    png_header_bomb,
    write_image,
    write_video,
)

MTIME = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
MTIME_UTC = datetime(2023, 11, 14, 22, 13, 20)

SIDECAR_XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"
   exif:DateTimeOriginal="2015-07-04T21:15:00+02:00"
   exif:GPSLatitude="48,51.396N" exif:GPSLongitude="2,21.132E"/>
 </rdf:RDF>
</x:xmpmeta>"""


def machine_local(utc: datetime) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


# --- real files from the corpus -----------------------------------------------------------


def test_iphone_heic(assets) -> None:
    meta = extract_metadata(str(assets / "formats/heic/IMG_2682.heic"), mtime=MTIME)
    assert meta.kind == "image"
    assert meta.mime == "image/heic"
    assert (meta.make, meta.model) == ("Apple", "iPhone 7")
    assert meta.lens_model == "iPhone 7 back camera 3.99mm f/1.8"
    assert (meta.width, meta.height, meta.orientation) == (4032, 3024, 1)
    # N 41°13'13.08", W 96°4'17.85"
    assert meta.latitude == pytest.approx(41 + 13 / 60 + 13.08 / 3600, abs=1e-6)
    assert meta.longitude == pytest.approx(-(96 + 4 / 60 + 17.85 / 3600), abs=1e-6)
    assert meta.time_zone == "America/Chicago"
    assert meta.taken_at == datetime(2019, 3, 21, 11, 4, 22, 348000)
    assert meta.taken_at_source == "exif:DateTimeOriginal"
    assert meta.taken_at_utc == datetime(2019, 3, 21, 16, 4, 22, 348000)  # CDT = UTC-5
    assert meta.country == "United States"
    assert meta.city  # a town in the Omaha area
    assert (meta.exposure_time, meta.f_number, meta.iso, meta.focal_length) == (
        "1/887",
        1.8,
        20,
        3.99,
    )
    assert meta.duration is None
    assert meta.extension_mismatch is None


def test_samsung_heic_offset_zone(assets) -> None:
    meta = extract_metadata(str(assets / "formats/motionphoto/samsung-one-ui-6.heic"))
    assert (meta.make, meta.model, meta.mime) == ("samsung", "SM-S906U", "image/heic")
    assert meta.latitude is None
    assert meta.taken_at == datetime(2024, 1, 12, 21, 38, 53, 853000)
    assert meta.time_zone == "Etc/GMT+8"  # OffsetTimeOriginal -08:00
    assert meta.taken_at_utc == meta.taken_at + timedelta(hours=8)
    assert meta.taken_at_source == "exif:DateTimeOriginal"


def test_gps_position_and_xmp_date(assets) -> None:
    meta = extract_metadata(str(assets / "metadata/gps-position/thompson-springs.jpg"))
    # 39°6'54"N 108°24'3.486"W
    assert meta.latitude == pytest.approx(39 + 6 / 60 + 54 / 3600, abs=1e-6)
    assert meta.longitude == pytest.approx(-(108 + 24 / 60 + 3.486 / 3600), abs=1e-6)
    assert meta.time_zone == "America/Denver"
    assert meta.country == "United States"
    # no EXIF dates: the embedded XMP (xmp:CreateDate, no offset) comes before GPS time
    assert meta.taken_at_source == "xmp:CreateDate"
    assert meta.taken_at == datetime(2022, 1, 10, 15, 15, 44, 310000)
    assert meta.taken_at_utc == datetime(2022, 1, 10, 22, 15, 44, 310000)  # MST = UTC-7


def test_nan_gps_is_ignored(assets) -> None:
    meta = extract_metadata(str(assets / "metadata/gps-position/empty_gps.jpg"))
    assert (meta.latitude, meta.longitude, meta.city, meta.country) == (None, None, None, None)
    assert meta.time_zone is None
    assert meta.taken_at == datetime(2025, 6, 1, 16, 59, 26, 23460)
    assert meta.taken_at_utc is None
    assert (meta.make, meta.model) == ("motorola", "moto g(9) plus")


def test_orientation_6(assets) -> None:
    meta = extract_metadata(str(assets / "metadata/faces/portrait-orientation-6.jpg"))
    assert (meta.width, meta.height, meta.orientation) == (700, 840, 6)
    plain = extract_metadata(str(assets / "metadata/faces/portrait.jpg"))
    assert (plain.width, plain.height, plain.orientation) == (840, 700, None)


def test_webp(assets) -> None:
    meta = extract_metadata(str(assets / "formats/webp/denali.webp"))
    assert (meta.mime, meta.width, meta.height) == ("image/webp", 600, 315)
    assert (meta.make, meta.model) == ("Canon", "Canon EOS 7D")
    assert meta.lens_model == "EF28-80mm f/3.5-5.6 USM"
    assert meta.taken_at == datetime(2010, 8, 13, 21, 0, 1, 850000)


@pytest.mark.parametrize(
    ("name", "mime", "size"),
    [
        ("avif/8bit-sRGB.avif", "image/avif", (1617, 1080)),
        ("avif/10bit-HDR-P3-nclx.avif", "image/avif", (3681, 5594)),
        ("jxl/8bit-sRGB.jxl", "image/jxl", (1440, 1080)),
        ("jxl/16bit-HDR-P3-nclx.jxl", "image/jxl", (5667, 3685)),
        ("png/density_plot.png", "image/png", (800, 800)),
        ("jpeg/el_torcal_rocks.jpeg", "image/jpeg", (512, 341)),
        ("jpg/el_torcal_rocks.jpg", "image/jpeg", (512, 341)),
    ],
)
def test_formats(assets, name, mime, size) -> None:
    meta = extract_metadata(str(assets / "formats" / name), mtime=MTIME)
    assert (meta.kind, meta.mime, (meta.width, meta.height)) == ("image", mime, size)
    assert meta.extension_mismatch is None


@pytest.mark.parametrize(
    ("name", "exposure", "f_number", "iso", "focal", "taken_at"),
    [
        ("el_torcal_rocks.jpg", "1/160", 11.0, 200, 75.0, datetime(2012, 8, 5, 11, 39, 59)),
        ("cyclamen_persicum.jpg", "1/30", 6.7, 100, 90.0, datetime(2007, 12, 6, 14, 33, 18)),
        ("notocactus_minimus.jpg", "1/90", 11.0, 200, 90.0, datetime(2008, 5, 23, 15, 54, 59)),
        (
            "prairie_falcon.jpg",
            "1/4000",
            7.1,
            1000,
            500.0,
            datetime(2022, 3, 31, 11, 31, 56, 180000),
        ),
        ("tanners_ridge.jpg", "1/15", 22.0, 1000, 35.0, datetime(2023, 9, 25, 8, 33, 30, 880000)),
    ],
)
def test_camera_settings(assets, name, exposure, f_number, iso, focal, taken_at) -> None:
    meta = extract_metadata(str(assets / "albums/nature" / name))
    assert (meta.exposure_time, meta.f_number, meta.iso, meta.focal_length) == (
        exposure,
        f_number,
        iso,
        focal,
    )
    assert (meta.taken_at, meta.taken_at_source) == (taken_at, "exif:DateTimeOriginal")


def test_make_model_are_stripped(assets) -> None:
    meta = extract_metadata(str(assets / "albums/nature/notocactus_minimus.jpg"))
    assert (meta.make, meta.model) == ("PENTAX Corporation", "PENTAX K10D")


def test_data_is_never_read_from_disk(assets, tmp_path) -> None:
    data = (assets / "formats/heic/IMG_2682.heic").read_bytes()
    meta = extract_metadata(str(tmp_path / "gone" / "IMG_2682.heic"), data=data)
    assert (meta.width, meta.model) == (4032, "iPhone 7")


# --- files that cannot be catalogued ------------------------------------------------------


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    for data in (None, b""):
        with pytest.raises(MediaError, match=r"^empty file \(0 bytes\)$"):
            extract_metadata(str(path), data=data)


def test_truncated_jpeg(assets, tmp_path) -> None:
    data = (assets / "albums/nature/prairie_falcon.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"^image is truncated or corrupt"):
        extract_metadata(str(path))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_random_bytes(tmp_path) -> None:
    path = tmp_path / "noise.jpg"
    path.write_bytes(random.Random(7).randbytes(5000))
    with pytest.raises(MediaError) as caught:
        extract_metadata(str(path))
    assert str(caught.value) == (
        "not a readable image: cannot identify image file (content does not match .jpg)"
    )


def test_header_only_bomb(tmp_path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_bomb(50_000, 50_000))
    with pytest.raises(MediaError) as caught:
        extract_metadata(str(path))
    assert str(caught.value) == (
        "image is 50000x50000 (2500.0 MP), above the 250 MP limit (scan setting max_megapixels)"
    )


def test_small_pixel_limit(assets) -> None:
    with pytest.raises(MediaError, match=r"^image is 800x800 \(0\.6 MP\), above the 0\.5 MP"):
        extract_metadata(str(assets / "formats/png/density_plot.png"), max_pixels=500_000)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("design.psd", "unsupported format .psd"),
        ("vector.SVG", "unsupported format .svg"),
        ("notes.txt", "not a media file (.txt)"),
        ("IMG_1.jpg.xmp", "an XMP sidecar, not a media file"),
    ],
)
def test_not_catalogued_by_extension(tmp_path, name, message) -> None:
    path = tmp_path / name
    path.write_bytes(b"content")
    with pytest.raises(MediaError) as caught:
        extract_metadata(str(path))
    assert str(caught.value) == message


def test_missing_file_raises_os_error(tmp_path) -> None:
    for name in ("gone.jpg", "gone.mp4", "gone.dng"):
        with pytest.raises(FileNotFoundError):
            extract_metadata(str(tmp_path / name))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_corrupt_variants_only_raise_media_error(assets, tmp_path) -> None:
    """Damaged copies of real files are either catalogued or refused with MediaError."""
    rng = random.Random(3)
    sources = [
        "formats/heic/IMG_2682.heic",
        "formats/webp/denali.webp",
        "formats/avif/8bit-sRGB.avif",
        "formats/png/density_plot.png",
        "metadata/gps-position/thompson-springs.jpg",
    ]
    for source in sources:
        data = (assets / source).read_bytes()
        variants = [data[: int(len(data) * fraction)] for fraction in (0.001, 0.05, 0.5)]
        for _ in range(3):
            damaged = bytearray(data)
            for _ in range(10):
                damaged[rng.randrange(min(len(data), 2048))] = rng.randrange(256)
            variants.append(bytes(damaged))
        for variant in variants:
            path = tmp_path / Path(source).name
            with contextlib.suppress(MediaError):
                extract_metadata(str(path), data=variant)


# --- misnamed files -----------------------------------------------------------------------


def test_png_named_jpg(tmp_path) -> None:
    path = tmp_path / "photo.jpg"
    write_image(path, format="PNG")
    meta = extract_metadata(str(path))
    assert (meta.kind, meta.mime, meta.width) == ("image", "image/png", 64)
    assert meta.extension_mismatch == "content is PNG but the extension is .jpg"
    assert "extension_mismatch" not in meta.as_record()


def test_jpeg_named_heic(assets, tmp_path) -> None:
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes((assets / "formats/jpg/el_torcal_rocks.jpg").read_bytes())
    meta = extract_metadata(str(path))
    assert meta.mime == "image/jpeg"
    assert meta.extension_mismatch == "content is JPEG but the extension is .heic"


def test_video_named_jpg_and_jpeg_named_mp4(assets, tmp_path) -> None:
    video = write_video(tmp_path / "clip.mp4")
    misnamed = video.rename(tmp_path / "clip.jpg")
    meta = extract_metadata(str(misnamed), data=misnamed.read_bytes())
    assert (meta.kind, meta.mime, meta.duration) == ("video", "video/mp4", 1.0)
    assert meta.extension_mismatch == "content is MP4/QuickTime but the extension is .jpg"

    image = tmp_path / "photo.mp4"
    image.write_bytes((assets / "formats/jpg/el_torcal_rocks.jpg").read_bytes())
    meta = extract_metadata(str(image))
    assert (meta.kind, meta.mime, meta.model) == ("image", "image/jpeg", "DSLR-A550")
    assert meta.extension_mismatch == "content is JPEG but the extension is .mp4"


# --- videos -------------------------------------------------------------------------------


def test_video(tmp_path) -> None:
    path = write_video(
        tmp_path / "VID_20230102_153045.mp4",
        metadata={
            "creation_time": "2023-01-02T15:30:45.000000Z",
            "location": "+37.7749-122.4194+010.000/",
        },
        rotation=-90,
        frames=20,
    )
    meta = extract_metadata(str(path), mtime=MTIME)
    assert (meta.kind, meta.mime) == ("video", "video/mp4")
    assert (meta.width, meta.height, meta.orientation) == (64, 48, 6)
    assert meta.duration == pytest.approx(2.0, abs=0.01)
    assert meta.taken_at_source == "video:creation_time"
    assert meta.taken_at_utc == datetime(2023, 1, 2, 15, 30, 45)
    assert meta.time_zone == "America/Los_Angeles"
    assert meta.taken_at == datetime(2023, 1, 2, 7, 30, 45)  # PST = UTC-8
    assert (meta.latitude, meta.longitude) == (37.7749, -122.4194)
    assert (meta.city, meta.country) == ("San Francisco", "United States")
    assert meta.f_number is None and meta.exposure_time is None


def test_video_without_tags_falls_back_to_the_file_name(tmp_path) -> None:
    meta = extract_metadata(str(write_video(tmp_path / "VID_20230102_153045.mov")), mtime=MTIME)
    assert (meta.mime, meta.orientation) == ("video/quicktime", 1)
    assert (meta.taken_at, meta.taken_at_source) == (datetime(2023, 1, 2, 15, 30, 45), "filename")
    assert (meta.time_zone, meta.taken_at_utc) == (None, None)


def test_corrupt_video(tmp_path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom" + random.Random(1).randbytes(3000))
    with pytest.raises(MediaError):
        extract_metadata(str(path))


# --- RAW ----------------------------------------------------------------------------------


def test_dng(tmp_path) -> None:
    path = tmp_path / "IMG_0001.dng"
    path.write_bytes(make_dng(64, 48, orientation=6))
    meta = extract_metadata(str(path))
    assert (meta.kind, meta.mime) == ("image", "image/x-adobe-dng")
    assert (meta.width, meta.height, meta.orientation) == (64, 48, 6)
    assert (meta.make, meta.model, meta.exposure_time, meta.iso) == (
        "Acme",
        "RawCam 1",
        "1/125",
        400,
    )
    assert (meta.taken_at, meta.taken_at_source) == (
        datetime(2021, 7, 4, 10, 20, 30),
        "exif:DateTimeOriginal",
    )


def test_corrupt_raw(tmp_path) -> None:
    path = tmp_path / "DSC_0001.NEF"
    path.write_bytes(random.Random(2).randbytes(4000))
    with pytest.raises(MediaError, match=r"^not a readable RAW image"):
        extract_metadata(str(path))


def test_jpeg_named_dng(assets, tmp_path) -> None:
    path = tmp_path / "IMG_0001.dng"
    path.write_bytes((assets / "formats/jpg/el_torcal_rocks.jpg").read_bytes())
    meta = extract_metadata(str(path))
    assert (meta.mime, meta.extension_mismatch) == (
        "image/jpeg",
        "content is JPEG but the extension is .dng",
    )


# --- the capture-time chain on generated files --------------------------------------------


def test_offset_and_subsec(tmp_path) -> None:
    exif = make_exif(
        {0x010F: "Acme"},
        {
            0x9003: "2023:01:02 15:30:45",
            0x9291: "5",
            0x9011: "+05:30",
            0x9004: "2020:01:01 00:00:00",
        },
    )
    meta = extract_metadata(str(write_image(tmp_path / "a.jpg", exif=exif)))
    assert meta.taken_at == datetime(2023, 1, 2, 15, 30, 45, 500000)
    assert meta.time_zone is None  # not a whole-hour offset
    assert meta.taken_at_utc == datetime(2023, 1, 2, 10, 0, 45, 500000)


def test_create_date_when_original_is_a_placeholder(tmp_path) -> None:
    exif = make_exif(
        {}, {0x9003: "0000:00:00 00:00:00", 0x9004: "2020:05:06 07:08:09", 0x9012: "+00:00"}
    )
    meta = extract_metadata(str(write_image(tmp_path / "a.jpg", exif=exif)))
    assert (meta.taken_at, meta.taken_at_source) == (
        datetime(2020, 5, 6, 7, 8, 9),
        "exif:CreateDate",
    )
    assert (meta.time_zone, meta.taken_at_utc) == ("UTC", datetime(2020, 5, 6, 7, 8, 9))


def test_gps_time_fallback(tmp_path) -> None:
    gps = {1: "S", 2: dms(33, 51, 35.34), 3: "E", 4: dms(151, 12, 3)}
    gps |= {0x1D: "2023:01:02", 0x07: dms(3, 4, 5)}
    meta = extract_metadata(str(write_image(tmp_path / "a.png", exif=make_exif(gps=gps))))
    assert meta.taken_at_source == "gps:DateTime"
    assert meta.taken_at_utc == datetime(2023, 1, 2, 3, 4, 5)
    assert meta.time_zone == "Australia/Sydney"
    assert meta.taken_at == datetime(2023, 1, 2, 14, 4, 5)  # AEDT = UTC+11
    assert meta.country == "Australia"


@pytest.mark.parametrize(
    ("name", "taken_at"),
    [
        ("IMG_20230102_153045.jpg", datetime(2023, 1, 2, 15, 30, 45)),
        ("PXL_20230102_153045123.jpg", datetime(2023, 1, 2, 15, 30, 45, 123000)),
        ("Screenshot_2023-01-02-15-30-45.png", datetime(2023, 1, 2, 15, 30, 45)),
        ("IMG-20230102-WA0001.jpg", datetime(2023, 1, 2)),
    ],
)
def test_filename_fallback(tmp_path, name, taken_at) -> None:
    meta = extract_metadata(str(write_image(tmp_path / name)), mtime=MTIME)
    assert (meta.taken_at, meta.taken_at_source) == (taken_at, "filename")
    assert (meta.time_zone, meta.taken_at_utc) == (None, None)


def test_mtime_fallback(tmp_path) -> None:
    meta = extract_metadata(str(write_image(tmp_path / "IMG_0001.jpg")), mtime=MTIME)
    assert meta.taken_at_source == "file:mtime"
    assert meta.taken_at_utc == MTIME_UTC
    assert meta.taken_at == machine_local(MTIME_UTC)
    assert meta.time_zone is None
    no_time = extract_metadata(str(write_image(tmp_path / "IMG_0002.jpg")))
    assert (no_time.taken_at, no_time.taken_at_utc, no_time.taken_at_source) == (None, None, None)


def test_mtime_fallback_reads_one_clock_with_or_without_gps(tmp_path) -> None:
    """Copies made in one second show one time: the GPS zone does not move an mtime."""
    gps = {1: "N", 2: dms(48, 51, 23.76), 3: "E", 4: dms(2, 21, 7.92)}
    located = extract_metadata(
        str(write_image(tmp_path / "IMG_0001.jpg", exif=make_exif(gps=gps))), mtime=MTIME
    )
    plain = extract_metadata(str(write_image(tmp_path / "IMG_0002.jpg")), mtime=MTIME)
    assert located.city == "Paris"
    for meta in (located, plain):
        assert (meta.taken_at_source, meta.time_zone) == ("file:mtime", None)
        assert meta.taken_at_utc == MTIME_UTC
        assert meta.taken_at == machine_local(MTIME_UTC)


def test_sidecar_date_and_gps(tmp_path) -> None:
    photo = write_image(tmp_path / "IMG_0001.jpg")
    sidecar = tmp_path / "IMG_0001.jpg.xmp"
    sidecar.write_text(SIDECAR_XMP)
    meta = extract_metadata(str(photo), mtime=MTIME, sidecar=str(sidecar))
    assert meta.taken_at_source == "xmp:DateTimeOriginal"
    assert meta.taken_at == datetime(2015, 7, 4, 21, 15)
    assert meta.taken_at_utc == datetime(2015, 7, 4, 19, 15)
    assert (meta.latitude, meta.longitude) == (48.8566, 2.3522)
    assert (meta.time_zone, meta.city, meta.country) == ("Europe/Paris", "Paris", "France")


def test_sidecar_loses_to_exif_and_file_gps(tmp_path) -> None:
    exif = make_exif(
        {},
        {0x9003: "2023:01:02 15:30:45"},
        {1: "N", 2: dms(41, 13, 13.08), 3: "W", 4: dms(96, 4, 17.85)},
    )
    photo = write_image(tmp_path / "IMG_0001.jpg", exif=exif)
    sidecar = tmp_path / "IMG_0001.xmp"
    sidecar.write_text(SIDECAR_XMP)
    meta = extract_metadata(str(photo), sidecar=str(sidecar))
    assert meta.taken_at_source == "exif:DateTimeOriginal"
    assert (meta.latitude, meta.time_zone) == (41.2203, "America/Chicago")


def test_broken_sidecar_is_ignored(tmp_path) -> None:
    photo = write_image(tmp_path / "IMG_0001.jpg")
    sidecar = tmp_path / "IMG_0001.xmp"
    sidecar.write_text("<x:xmpmeta><unclosed>")
    meta = extract_metadata(str(photo), mtime=MTIME, sidecar=str(sidecar))
    assert meta.taken_at_source == "file:mtime"
    meta = extract_metadata(str(photo), mtime=MTIME, sidecar=str(tmp_path / "missing.xmp"))
    assert meta.taken_at_source == "file:mtime"


@pytest.mark.parametrize(
    "gps",
    [
        {1: "N", 2: dms(0, 0, 0), 3: "E", 4: dms(0, 0, 0)},
        {1: "N", 2: dms(91, 0, 0), 3: "E", 4: dms(10, 0, 0)},
        {1: "N", 2: dms(10, 0, 0), 3: "W", 4: dms(200, 0, 0)},
    ],
)
def test_rejected_gps(tmp_path, gps) -> None:
    meta = extract_metadata(str(write_image(tmp_path / "a.jpg", exif=make_exif(gps=gps))))
    assert (meta.latitude, meta.longitude, meta.time_zone, meta.city) == (None, None, None, None)


def test_as_record(assets) -> None:
    meta = extract_metadata(str(assets / "formats/heic/IMG_2682.heic"))
    record = meta.as_record()
    apart = ("extension_mismatch", "motion_video", "face_regions")
    expected = [f.name for f in dataclasses.fields(MediaMetadata) if f.name not in apart]
    assert list(record) == expected
    assert isinstance(record["taken_at"], datetime)
    assert record["model"] == "iPhone 7"


def test_no_global_pillow_state_changes(assets) -> None:
    from PIL import Image

    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    extract_metadata(str(assets / "formats/png/density_plot.png"), max_pixels=10**12)
    assert before == (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
