"""``preprocess``/``prepare``: rendered previews and thumbnails into CLIP's 224 px input
(no torch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from media_pipeline.clip.embed import prepare, preprocess


def test_preprocess_previews_and_thumbnails(previews: dict[str, tuple[Path, Path]]) -> None:
    preview, thumbnail = previews["original"]
    with Image.open(preview) as image:
        assert image.size == (512, 341) and image.format == "JPEG"  # never enlarged
    with Image.open(thumbnail) as image:
        assert max(image.size) == 250 and image.format == "WEBP"
    for path in (preview, thumbnail):
        pixels = preprocess(path)
        assert pixels.dtype == np.uint8 and pixels.shape == (224, 224, 3)
    # The draft-decoded preview and the small thumbnail show the same picture.
    difference = np.abs(preprocess(preview).astype(int) - preprocess(thumbnail).astype(int))
    assert difference.mean() < 8
    assert preprocess(thumbnail, size=336).shape == (336, 336, 3)


def test_prepare_crops_the_center() -> None:
    """A wide image whose middle square is red, flanked by blue: only red survives (but for
    the bicubic kernel's reach across the crop's edge, as with resize-then-crop)."""
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    image.paste((255, 0, 0), (100, 0, 200, 100))
    pixels = prepare(image, 32)
    assert pixels.shape == (32, 32, 3)
    inner = pixels[:, 2:-2]
    assert (inner[..., 0] > 250).all() and (inner[..., 2] < 5).all()
    # resize > size (a model that crops inside a larger resize): a central part of the red.
    assert (prepare(image, 32, resize=40)[:, 2:-2, 0] > 250).all()
    # Grey and palette images come out RGB.
    assert prepare(Image.new("L", (50, 80), 7), 16).shape == (16, 16, 3)
    assert prepare(Image.new("P", (50, 80)), 16).shape == (16, 16, 3)


def test_prepare_equals_resize_then_crop(photos: dict[str, Path]) -> None:
    with Image.open(photos["tanners_ridge"]) as image:  # 800 x 534
        image.load()
    width, height = image.size
    scaled = image.resize((round(width * 224 / height), 224), Image.Resampling.BICUBIC)
    left = (scaled.width - 224) // 2
    reference = np.asarray(scaled.crop((left, 0, left + 224, 224)), dtype=int)
    difference = np.abs(prepare(image).astype(int) - reference)
    assert difference.mean() < 1.0, difference.mean()  # sub-pixel offsets of the crop
