"""JPEG previews through libvips: the same outputs as Pillow's path, Pillow for the rest."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media_pipeline.thumbnails import libvips, render
from media_pipeline.thumbnails.libvips import dct_shrink, scaled_jpeg
from media_pipeline.thumbnails.render import RenderError
from media_pipeline_tests.conftest import IMMICH

# 12-24 MP camera photos, the text album's with an embedded sRGB profile, the last without
PHOTOS = [
    *sorted((IMMICH / "albums" / "text").glob("*.jpg")),
    IMMICH / "metadata" / "gps-position" / "empty_gps.jpg",
]


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)


@pytest.fixture
def pillow_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render as on a platform without libvips."""
    monkeypatch.setattr(libvips, "_pyvips", lambda: None)


@pytest.mark.parametrize(
    ("size", "request_size"),
    [
        ((6000, 4000), (1800, 1200)),
        ((4000, 3000), (1800, 1350)),
        ((1600, 1200), (1800, 1350)),
        ((9000, 6000), (800, 534)),
        ((3000, 4000), (1350, 1800)),
        ((2000, 8000), (450, 1800)),
    ],
)
def test_the_dct_scale_is_the_one_pillow_picks(
    size: tuple[int, int], request_size: tuple[int, int]
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(buffer, "JPEG")
    with Image.open(buffer) as image:
        image.draft("RGB", request_size)
        drafted = image.size
    shrink = dct_shrink(size, request_size)
    assert drafted == (math.ceil(size[0] / shrink), math.ceil(size[1] / shrink))


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a - b) ** 2)))


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_libvips_previews_are_as_close_to_a_full_decode_as_pillows(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_libvips = render.render(str(path))
    monkeypatch.setattr(libvips, "_pyvips", lambda: None)
    with_pillow = render.render(str(path))
    assert with_libvips.preview_size == with_pillow.preview_size
    assert with_libvips.thumbnail_size == with_pillow.thumbnail_size
    with Image.open(path) as image:  # full decode, LANCZOS, nothing to rotate in these
        reference = np.asarray(
            image.convert("RGB").resize(with_pillow.preview_size, Image.Resampling.LANCZOS),
            dtype=np.float64,
        )
    ours, theirs = _pixels(with_libvips.preview), _pixels(with_pillow.preview)
    assert _psnr(ours, reference) > _psnr(theirs, reference) - 0.25  # dB
    assert abs(ours.mean() - theirs.mean()) < 0.5  # no shift in colour or brightness


def test_the_preview_is_libvips_own_work() -> None:
    """The path is taken, not silently Pillow's: the preview is scaled_jpeg's pixels."""
    path = PHOTOS[0]
    with Image.open(path) as image:
        size = image.size
    target = render.fit(*size, 1440)
    request = (math.ceil(target[0] * 1.25), math.ceil(target[1] * 1.25))
    made = scaled_jpeg(path.read_bytes(), size, request, target)
    assert made is not None and made.size == target and made.mode == "RGB"
    encoded = io.BytesIO()
    made.save(encoded, "JPEG", quality=80)  # its profile is sRGB: no conversion
    assert render.render(str(path)).preview == encoded.getvalue()


def test_grayscale_stays_grayscale(tmp_path: Path) -> None:
    gradient = np.tile(np.linspace(0, 255, 2400, dtype=np.uint8), (1600, 1))
    buffer = io.BytesIO()
    Image.fromarray(gradient, "L").save(buffer, "JPEG", quality=95)
    made = scaled_jpeg(buffer.getvalue(), (2400, 1600), (1800, 1200), (1440, 960))
    assert made is not None and made.mode == "L" and made.size == (1440, 960)
    row = np.asarray(made, dtype=np.float64)[480]
    assert row[0] < 8 and row[-1] > 247 and np.all(np.diff(row[10:-10]) >= -1)


def test_damaged_jpegs_are_left_to_pillow_and_read_as_before(tmp_path: Path) -> None:
    whole = PHOTOS[-1].read_bytes()
    with Image.open(PHOTOS[-1]) as image:
        size = image.size
    target = render.fit(*size, 1440)
    assert scaled_jpeg(whole[: len(whole) // 2], size, target, target) is None
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RenderError, match=r"^image is truncated or corrupt: .*truncated"):
        render.render(str(path))


def test_without_libvips_jpegs_render_with_pillow(pillow_only: None) -> None:
    assert scaled_jpeg(PHOTOS[0].read_bytes(), (10, 10), (1, 1), (1, 1)) is None
    rendered = render.render(str(PHOTOS[0]))
    assert max(rendered.preview_size) == 1440
