"""`render`: one original in, a JPEG preview and a WebP thumbnail out."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media_pipeline.metadata.formats import register_plugins
from media_pipeline.metadata.image import read_image
from media_pipeline.thumbnails.colour import convert_to_srgb
from media_pipeline.thumbnails.outputs import fit
from media_pipeline.thumbnails.render import (
    Rendered,
    RenderError,
    RenderSettings,
    render,
)
from media_pipeline_tests.conftest import IMMICH
from media_pipeline_tests.metadata.samples import (
    _tiff_entry,
    _tiff_ifd,
    jxl_codestream_header,
    make_dng,
    png_header_bomb,
    write_image,
    write_video,
)

FORMATS = sorted(p for p in (IMMICH / "formats").rglob("*") if p.is_file())


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _upright_size(path: Path) -> tuple[int, int]:
    info = read_image(str(path), None, ext=path.suffix.lower(), max_pixels=10**9, verify=False)
    if (info.exif.orientation or 1) >= 5:
        return info.height, info.width
    return info.width, info.height


def _assert_outputs(rendered: Rendered, upright: tuple[int, int]) -> None:
    preview, thumbnail = _open(rendered.preview), _open(rendered.thumbnail)
    assert (preview.format, thumbnail.format) == ("JPEG", "WEBP")
    assert preview.size == rendered.preview_size == fit(*upright, 1440)
    assert thumbnail.size == rendered.thumbnail_size == fit(*preview.size, 250)
    for image, source in ((preview, upright), (thumbnail, preview.size)):
        if max(source) > max(image.size):  # aspect kept to the rounding of one pixel
            assert abs(image.size[0] / image.size[1] - source[0] / source[1]) < 0.01
        else:
            assert image.size == source  # never enlarged


@pytest.mark.parametrize("path", FORMATS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_format_renders(path: Path) -> None:
    rendered = render(str(path))
    _assert_outputs(rendered, _upright_size(path))


def test_small_images_are_never_enlarged() -> None:
    rendered = render(str(IMMICH / "metadata" / "gps-position" / "thompson-springs.jpg"))
    assert rendered.preview_size == rendered.thumbnail_size == (150, 103)


def test_exif_orientation_is_applied() -> None:
    faces = IMMICH / "metadata" / "faces"
    rotated = _open(render(str(faces / "portrait-orientation-6.jpg")).preview).convert("L")
    upright = _open(render(str(faces / "portrait.jpg")).preview).convert("L")
    assert rotated.size == upright.size == (840, 700)
    pixels = np.asarray(rotated, dtype=float)

    def difference(image: Image.Image) -> float:
        return float(np.abs(pixels - np.asarray(image, dtype=float)).mean())

    assert difference(upright) < 8  # the same photo (the rotated one has labels drawn on)
    assert difference(upright.transpose(Image.Transpose.ROTATE_180)) > 40


_UNDO = {  # stored pixels that EXIF orientation n turns into the upright picture
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
_QUADRANTS = ((230, 20, 20), (20, 230, 20), (20, 20, 230), (230, 230, 20))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(tmp_path: Path, orientation: int) -> None:
    upright = Image.new("RGB", (1800, 1200))
    for index, colour in enumerate(_QUADRANTS):
        upright.paste(colour, (900 * (index % 2), 600 * (index // 2), 1800, 1200))
    stored = upright.transpose(_UNDO[orientation]) if orientation > 1 else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(tmp_path / "photo.jpg", quality=95, exif=exif)
    rendered = render(str(tmp_path / "photo.jpg"))
    assert rendered.preview_size == (1440, 960)
    for data in (rendered.preview, rendered.thumbnail):
        image = _open(data).convert("RGB")
        width, height = image.size
        for index, colour in enumerate(_QUADRANTS):  # sample each quadrant's middle
            x, y = (1 + 2 * (index % 2)) * width // 4, (1 + 2 * (index // 2)) * height // 4
            assert image.getpixel((x, y)) == pytest.approx(colour, abs=12)


@pytest.mark.parametrize(
    "path",
    [
        IMMICH / "metadata" / "gps-position" / "thompson-springs.jpg",
        IMMICH / "formats" / "webp" / "denali.webp",  # EXIF, XMP and an ICC profile
        IMMICH / "formats" / "heic" / "IMG_2682.heic",
    ],
    ids=lambda p: p.name,
)
def test_outputs_carry_no_metadata(path: Path) -> None:
    rendered = render(str(path))
    for data in (rendered.preview, rendered.thumbnail):
        image = _open(data)
        assert not image.getexif()
        assert "icc_profile" not in image.info and "xmp" not in image.info
        for marker in (b"Exif", b"GPS", b"xmp", b"XMP", b"ICC_PROFILE", b"ICCP"):
            assert marker not in data


def test_display_p3_is_converted_to_srgb(tmp_path: Path) -> None:
    register_plugins()
    with Image.open(IMMICH / "formats" / "heic" / "IMG_2682.heic") as heic:
        display_p3 = heic.info["icc_profile"]
    path = tmp_path / "p3.png"
    Image.new("RGB", (64, 64), (200, 100, 50)).save(path, icc_profile=display_p3)
    rendered = render(str(path))
    expected = convert_to_srgb(np.array([[[200, 100, 50]]], np.float32) / 255, 12, 13)[0, 0]
    assert tuple(expected) == pytest.approx((215, 93, 31), abs=2)  # sRGB of P3 (200,100,50)
    for data in (rendered.preview, rendered.thumbnail):
        image = _open(data).convert("RGB")
        assert "icc_profile" not in image.info
        mean = np.asarray(image, dtype=float).reshape(-1, 3).mean(axis=0)
        assert mean == pytest.approx(expected, abs=3)


def test_an_srgb_profile_changes_nothing(tmp_path: Path) -> None:
    register_plugins()
    with Image.open(IMMICH / "formats" / "webp" / "denali.webp") as webp:
        srgb = webp.info["icc_profile"]
    path = tmp_path / "srgb.png"
    Image.new("RGB", (64, 64), (200, 100, 50)).save(path, icc_profile=srgb)
    mean = np.asarray(_open(render(str(path)).preview), dtype=float).reshape(-1, 3).mean(axis=0)
    assert mean == pytest.approx((200, 100, 50), abs=2)


def test_hdr_avif_is_tone_mapped_not_washed_out() -> None:
    path = IMMICH / "formats" / "avif" / "10bit-HDR-P3-nclx.avif"
    register_plugins()
    with Image.open(path) as avif:  # the PQ-encoded values as Pillow decodes them
        naive = np.asarray(avif.convert("L").resize(fit(*avif.size, 1440)), dtype=float)
    preview = np.asarray(_open(render(str(path)).preview).convert("L"), dtype=float)
    # PQ puts SDR white at ~58% and diffuse shadows near 30%: shown as sRGB, it is grey
    assert np.percentile(preview, 99) > np.percentile(naive, 99) + 30
    assert np.percentile(preview, 5) < np.percentile(naive, 5)


def _write_clip(path: Path, black_frames: int, frames: int = 30) -> Path:
    def pixels(index: int) -> np.ndarray:
        rgb = np.zeros((64, 96, 3), np.uint8)
        if index >= black_frames:
            rgb[:, :48] = (220, 60, 40)
            rgb[:, 48:] = (40, 200, 90)
        return rgb

    return write_video(path, frames=frames, size=(96, 64), pixels=pixels)


def test_video_poster_is_the_first_non_black_frame(tmp_path: Path) -> None:
    rendered = render(str(_write_clip(tmp_path / "fade-in.mp4", black_frames=8)))
    assert rendered.preview_size == (96, 64) and rendered.thumbnail_size == (96, 64)
    poster = np.asarray(_open(rendered.preview).convert("RGB"), dtype=float)
    assert poster[:, :40].mean(axis=(0, 1)) == pytest.approx((220, 60, 40), abs=15)
    assert poster[:, 56:].mean(axis=(0, 1)) == pytest.approx((40, 200, 90), abs=15)


def test_video_rotation_is_applied(tmp_path: Path) -> None:
    path = write_video(tmp_path / "portrait.mp4", rotation=-90, frames=10, size=(64, 48))
    assert render(str(path)).preview_size == (48, 64)


def test_all_black_video_still_gets_a_poster(tmp_path: Path) -> None:
    rendered = render(str(_write_clip(tmp_path / "dark.mp4", black_frames=30)))
    assert rendered.preview_size == (96, 64)


def test_animated_gif_renders_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (120, 80), colour) for colour in ((230, 30, 30), (30, 30, 230))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    rendered = render(str(path))
    for data in (rendered.preview, rendered.thumbnail):
        mean = np.asarray(_open(data).convert("RGB"), dtype=float).reshape(-1, 3).mean(axis=0)
        assert mean[0] > 180 and mean[2] < 80


def test_jpeg_motion_photo_renders_the_still(tmp_path: Path) -> None:
    clip = _write_clip(tmp_path / "clip.mp4", black_frames=0).read_bytes()
    still = write_image(tmp_path / "still.jpg", size=(400, 300), quality=90).read_bytes()
    path = tmp_path / "MVIMG_0001.jpg"
    path.write_bytes(still + clip)  # Google/Samsung layout: the video after the JPEG's EOI
    assert render(str(path)).preview_size == (400, 300)


def test_content_decides_the_decoder(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    Image.new("RGB", (40, 30), (10, 200, 10)).save(path, "PNG")
    assert render(str(path)).preview_size == (40, 30)
    video = _write_clip(tmp_path / "clip.mp4", black_frames=0)
    misnamed = tmp_path / "really-a-video.jpg"
    misnamed.write_bytes(video.read_bytes())
    assert render(str(misnamed)).preview_size == (96, 64)


def test_transparency_is_flattened_in_the_preview_and_kept_in_the_thumbnail(
    tmp_path: Path,
) -> None:
    image = Image.new("RGBA", (300, 200), (0, 0, 255, 255))
    image.paste((0, 0, 0, 0), (0, 0, 150, 200))
    image.save(tmp_path / "logo.png")
    rendered = render(str(tmp_path / "logo.png"))
    preview = np.asarray(_open(rendered.preview).convert("RGB"), dtype=float)
    assert preview[:, :140].mean(axis=(0, 1)) == pytest.approx((255, 255, 255), abs=3)
    thumbnail = _open(rendered.thumbnail)
    assert thumbnail.mode == "RGBA" and thumbnail.getchannel("A").getextrema()[0] == 0


def test_sixteen_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.full((50, 80), 32768, np.uint16)  # mid grey
    Image.fromarray(values).save(tmp_path / "gray16.png")
    preview = np.asarray(_open(render(str(tmp_path / "gray16.png")).preview), dtype=float)
    assert preview.mean() == pytest.approx(127.5, abs=3)


def test_cmyk_jpeg_renders_in_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (80, 60), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg", quality=95)
    preview = _open(render(str(tmp_path / "cmyk.jpg")).preview)
    assert preview.mode == "RGB"
    mean = np.asarray(preview, dtype=float).reshape(-1, 3).mean(axis=0)
    assert mean[0] > 200 and mean[1] < 60 and mean[2] < 60


def test_raw_without_an_embedded_preview_is_decoded_at_half_size(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.dng"
    path.write_bytes(make_dng(64, 48, orientation=6))
    rendered = render(str(path))
    assert rendered.preview_size == (24, 32)  # half of 64x48, turned upright


def _dng_with_preview(preview: Image.Image, orientation: int = 6) -> bytes:
    """A DNG laid out as cameras write them: IFD0 holds a JPEG preview, its SubIFD the
    (tiny, blank) 16-bit Bayer data."""
    buffer = io.BytesIO()
    preview.save(buffer, "JPEG", quality=90)
    jpeg, (pw, ph) = buffer.getvalue(), preview.size
    width, height = 64, 48
    pixels = bytes(width * height * 2)
    identity = [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]

    def ifd0(sub_ifd: int, jpeg_at: int) -> list:
        return [
            *[_tiff_entry(tag, 4, [value]) for tag, value in ((254, 1), (256, pw), (257, ph))],
            _tiff_entry(258, 3, [8, 8, 8]),
            *[_tiff_entry(tag, 3, [value]) for tag, value in ((259, 7), (262, 6), (277, 3))],
            _tiff_entry(271, 2, "Acme"),
            _tiff_entry(272, 2, "RawCam 1"),
            _tiff_entry(273, 4, [jpeg_at]),
            _tiff_entry(274, 3, [orientation]),
            _tiff_entry(278, 4, [ph]),
            _tiff_entry(279, 4, [len(jpeg)]),
            _tiff_entry(330, 4, [sub_ifd]),  # SubIFDs
            _tiff_entry(50706, 1, [1, 4, 0, 0]),  # DNGVersion
            _tiff_entry(50708, 2, "Acme RawCam 1"),
            _tiff_entry(50721, 10, identity),  # ColorMatrix1
            _tiff_entry(50778, 3, [21]),
        ]

    def raw_ifd(strip_at: int) -> list:
        return [
            *[_tiff_entry(tag, 4, [value]) for tag, value in ((254, 0), (256, width))],
            _tiff_entry(257, 4, [height]),
            *[_tiff_entry(tag, 3, [value]) for tag, value in ((258, 16), (259, 1), (277, 1))],
            _tiff_entry(262, 3, [32803]),  # CFA
            _tiff_entry(273, 4, [strip_at]),
            _tiff_entry(278, 4, [height]),
            _tiff_entry(279, 4, [len(pixels)]),
            _tiff_entry(284, 3, [1]),
            _tiff_entry(33421, 3, [2, 2]),
            _tiff_entry(33422, 1, [0, 1, 1, 2]),
        ]

    def even(offset: int) -> int:
        return offset + offset % 2

    sub_at = even(8 + len(_tiff_ifd(ifd0(0, 0), 8)))
    strip_at = even(sub_at + len(_tiff_ifd(raw_ifd(0), sub_at)))
    jpeg_at = even(strip_at + len(pixels))
    out = bytearray(b"II*\0" + struct.pack("<I", 8)) + _tiff_ifd(ifd0(sub_at, jpeg_at), 8)
    out = out.ljust(sub_at, b"\0") + _tiff_ifd(raw_ifd(strip_at), sub_at)
    out = out.ljust(strip_at, b"\0") + pixels
    return bytes(out.ljust(jpeg_at, b"\0") + jpeg)


def test_raw_renders_its_embedded_preview_turned_upright(tmp_path: Path) -> None:
    path = tmp_path / "DSC_0001.dng"
    path.write_bytes(_dng_with_preview(Image.new("RGB", (1600, 1200), (200, 30, 30))))
    rendered = render(str(path))
    assert rendered.preview_size == (1080, 1440)  # the preview, not the blank Bayer data
    mean = np.asarray(_open(rendered.preview), dtype=float).reshape(-1, 3).mean(axis=0)
    assert mean == pytest.approx((200, 30, 30), abs=4)


def test_truncated_image_is_a_clear_error(tmp_path: Path) -> None:
    whole = (IMMICH / "albums" / "nature" / "prairie_falcon.jpg").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RenderError, match=r"^image is truncated or corrupt: .*truncated"):
        render(str(path))


def test_corrupt_and_unknown_content_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "noise.jpg").write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(RenderError, match=r"^not a readable image: cannot identify image file"):
        render(str(tmp_path / "noise.jpg"))
    heic = (IMMICH / "formats" / "heic" / "IMG_2682.heic").read_bytes()
    (tmp_path / "cut.heic").write_bytes(heic[: len(heic) // 3])
    with pytest.raises(RenderError, match=r"^image is truncated or corrupt: "):
        render(str(tmp_path / "cut.heic"))
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    with pytest.raises(RenderError, match=r"video"):
        render(str(tmp_path / "broken.mp4"))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(RenderError, match=r"^cannot render \.txt: not a photo or video$"):
        render(str(tmp_path / "notes.txt"))


def test_unreadable_files_raise_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        render(str(tmp_path / "gone.jpg"))
    with pytest.raises(FileNotFoundError):
        render(str(tmp_path / "gone.mp4"))


_BOMBS = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))  # 2 GiB: a decode would fail
from media_pipeline.thumbnails.render import RenderError, render
for path in sys.argv[1:]:
    started = time.monotonic()
    try:
        render(path)
    except RenderError as error:
        print(f"{time.monotonic() - started:.3f} {error}")
"""


def test_bombs_are_refused_before_any_pixel_is_allocated(tmp_path: Path) -> None:
    png = tmp_path / "bomb.png"
    png.write_bytes(png_header_bomb(60_000, 60_000))
    jxl = tmp_path / "bomb.jxl"
    jxl.write_bytes(jxl_codestream_header(100_000, 70_000))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_BOMBS), str(png), str(jxl)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout + done.stderr
    for line, size in zip(lines, ("60000x60000", "100000x70000"), strict=True):
        seconds, message = line.split(" ", 1)
        assert float(seconds) < 1.0
        assert message.startswith(f"image is {size} (")
        assert message.endswith("above the 250 MP limit (thumbnails setting max_megapixels)")


def test_the_pixel_limit_is_a_setting(tmp_path: Path) -> None:
    path = write_image(tmp_path / "a.png", size=(400, 300))
    with pytest.raises(RenderError, match=r"above the 0.1 MP limit"):
        render(str(path), RenderSettings(max_pixels=100_000))


def test_sizes_and_qualities_are_settings(tmp_path: Path) -> None:
    path = write_image(tmp_path / "a.png", size=(400, 300))
    rendered = render(str(path), RenderSettings(preview_size=200, thumbnail_size=50))
    assert (rendered.preview_size, rendered.thumbnail_size) == ((200, 150), (50, 38))
    small = render(str(path), RenderSettings(preview_quality=20, thumbnail_quality=20))
    large = render(str(path), RenderSettings(preview_quality=95, thumbnail_quality=95))
    assert len(small.preview) < len(large.preview) and len(small.thumbnail) < len(large.thumbnail)


def test_fingerprint_names_the_output_settings() -> None:
    default = RenderSettings().fingerprint()
    assert default == RenderSettings().fingerprint() and len(default) <= 40
    assert RenderSettings(preview_size=2048).fingerprint() != default
    assert RenderSettings(preview_quality=90).fingerprint() != default
    assert RenderSettings(thumbnail_size=200).fingerprint() != default
    assert RenderSettings(thumbnail_quality=70).fingerprint() != default
    # the pixel limit decides what is refused, never what an output looks like
    assert RenderSettings(max_pixels=10).fingerprint() == default
