"""What rendering makes and how it is sized: the settings, the results and their error,
the pixel limit, fitting, orientation, resizing and the encoded JPEG and WebP outputs.

Underneath the colour, poster and render modules, so they share these without a circle.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from media_pipeline.metadata.image import pixel_limit_error
from media_pipeline.stages.pool import ItemError

# Bump when a change to the rendering modules changes the pixels or encoding of the outputs:
# every derivative made by an older version is then re-rendered.
RENDERER_VERSION = "1"

LANCZOS = Image.Resampling.LANCZOS
# Other formats decode at full size: an integer reduce() (box filter) first, leaving
# LANCZOS at least this factor, like the JPEG rule (a 12 MP HEIC: 117 -> 48 ms; SSIM of
# the preview against LANCZOS alone 0.993). The thumbnail, resized from the preview, keeps
# Pillow's recommended gap of 2.0 (4 ms).
PREVIEW_GAP = 1.25
_THUMBNAIL_GAP = 2.0
_WEBP_METHOD = 4  # libwebp's default effort; see bench/thumbnails.py
_FLATTEN_ON = (255, 255, 255)  # JPEG previews of transparent images


@dataclass(frozen=True)
class RenderSettings:
    """What the derivatives look like (sizes are the longest side, in pixels)."""

    preview_size: int = 1440
    preview_quality: int = 80
    thumbnail_size: int = 250
    thumbnail_quality: int = 80
    max_pixels: int = 250_000_000

    def fingerprint(self) -> str:
        """A short stable string naming the outputs these settings (and this renderer
        version) make: derivatives stored under another fingerprint are re-rendered.

        ``max_pixels`` is left out on purpose: it decides which files are refused, never
        what a rendered file looks like, so changing it must not re-render the library.
        """
        return (
            f"r{RENDERER_VERSION}-p{self.preview_size}q{self.preview_quality}"
            f"-t{self.thumbnail_size}q{self.thumbnail_quality}"
        )


class RenderError(ItemError):
    """A file whose content cannot be rendered; ``str(e)`` is a clear message for the user
    (the errors ledger). Failures to read the file stay ``OSError``."""


@dataclass(frozen=True)
class Rendered:
    preview: bytes  # JPEG
    thumbnail: bytes  # WebP
    preview_size: tuple[int, int]
    thumbnail_size: tuple[int, int]


def check_pixels(width: int, height: int, settings: RenderSettings) -> None:
    """RenderError for a size with no pixels or over the limit, checked from headers
    before any pixel is allocated."""
    if width <= 0 or height <= 0:
        raise RenderError(f"image has no pixels ({width}x{height})")
    error = pixel_limit_error(width, height, settings.max_pixels, setting="thumbnails")
    if error is not None:  # the thumbnails' own max_megapixels applies here, not the scan's
        raise RenderError(str(error))


def fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """(width, height) scaled so the longest side is ``longest``; never enlarged."""
    if max(width, height) <= longest:
        return width, height
    if width >= height:
        return longest, max(1, round(height * longest / width))
    return max(1, round(width * longest / height)), longest


_TRANSPOSE: dict[int, list[Image.Transpose]] = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def orient(im: Image.Image, orientation: int) -> Image.Image:
    for method in _TRANSPOSE.get(orientation, []):
        im = im.transpose(method)
    return im


def resize(im: Image.Image, size: tuple[int, int], gap: float = PREVIEW_GAP) -> Image.Image:
    if im.size == size:
        return im
    return im.resize(size, LANCZOS, reducing_gap=gap)


def encode(preview: Image.Image, settings: RenderSettings) -> Rendered:
    """JPEG preview and WebP thumbnail (made from the preview's pixels), no metadata."""
    preview.info = {}  # nothing of the original's info (EXIF, XMP, ICC) may be written
    thumbnail = resize(preview, fit(*preview.size, settings.thumbnail_size), _THUMBNAIL_GAP)
    if thumbnail.mode == "L":
        thumbnail = thumbnail.convert("RGB")
    thumbnail.info = {}
    if preview.mode == "RGBA":
        flat = Image.new("RGB", preview.size, _FLATTEN_ON)
        flat.paste(preview, mask=preview.getchannel("A"))
        preview = flat
    jpeg, webp = io.BytesIO(), io.BytesIO()
    preview.save(jpeg, "JPEG", quality=settings.preview_quality)
    thumbnail.save(webp, "WEBP", quality=settings.thumbnail_quality, method=_WEBP_METHOD)
    return Rendered(jpeg.getvalue(), webp.getvalue(), preview.size, thumbnail.size)
