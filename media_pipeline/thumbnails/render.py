"""One original in, a JPEG preview and a WebP thumbnail out: pure functions, no Dagster.

Every original is decoded once, at the smallest scale the preview needs, and the thumbnail
is made from the preview's pixels:

- JPEG: DCT-scaled decoding: libjpeg-turbo decodes a 24 MP photo at 1/2 or 1/4 size for a
  fraction of the cost of a full decode. The scale is chosen to leave at least
  ``_MIN_RESIDUAL`` of the reduction to LANCZOS (sharp lowers libjpeg's shrink the same
  way): DCT-scaled pixels that LANCZOS barely touches keep the block-wise scaling's
  aliasing. bench/thumbnails.py measures the trade. libvips decodes and resizes RGB and
  grayscale JPEGs (libvips.py: its Lanczos is vectorised, Pillow's is not); Pillow's
  ``draft`` and LANCZOS the rest, and whatever libvips declines.
- Other formats decode at full size; an integer ``reduce()`` (box) precedes LANCZOS when
  the factor is 2.5 or more (``reducing_gap``). Colour conversion (ICC profiles, AVIF/HEIF
  nclx, HDR tone mapping), orientation and alpha flattening then work on the small image.
- Videos: a poster frame at 10% of the duration, or the first non-black frame after it,
  scaled by FFmpeg. RAW: the embedded preview when it is large enough, else LibRaw's
  half-size decode. Animated images: the first frame. Motion photos: the still image.

The outputs carry no metadata at all (no EXIF, GPS, XMP, ICC): they are sRGB, which is
what a missing profile means. The pixel limit is checked from the headers, before any
pixel is allocated (JPEG XL from its codestream header: pillow-jxl decodes at open).
Pillow's process-global ``MAX_IMAGE_PIXELS`` is bypassed like the metadata reader does.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from media_pipeline.metadata import bmff
from media_pipeline.metadata.errors import MediaError, is_io_error
from media_pipeline.metadata.formats import (
    PIL_FORMATS,
    classify,
    extension,
    looks_like_video,
    register_plugins,
)
from media_pipeline.metadata.image import (
    JXL_PREFIXES,
    NON_TIFF_FORMATS,
    PREFIX_BYTES,
    open_image,
)
from media_pipeline.metadata.jxl import jxl_size
from media_pipeline.thumbnails.colour import to_srgb
from media_pipeline.thumbnails.libvips import scaled_jpeg
from media_pipeline.thumbnails.outputs import (
    RENDERER_VERSION,
    Rendered,
    RenderError,
    RenderSettings,
    check_pixels,
    encode,
    fit,
    orient,
    resize,
)
from media_pipeline.thumbnails.poster import StillImage, poster

__all__ = ["RENDERER_VERSION", "RenderError", "RenderSettings", "Rendered", "render"]

# JPEG: decode at the largest DCT scale (1/2, 1/4, 1/8) that leaves LANCZOS at least this
# factor. Measured on the bench's 12-24 MP JPEGs (one core): 1.0 is 8% faster with a mean
# SSIM of 0.980 against the full-decode preview; 1.25: 0.983; 1.5: 35% slower, 0.993.
_MIN_RESIDUAL = 1.25


def render(path: str, settings: RenderSettings = RenderSettings()) -> Rendered:
    """Render one file: its kind comes from ``classify(path)`` (image, raw, video), its
    decoder from the content (a PNG named .jpg still renders).

    Raises RenderError for content that cannot be rendered; OSError for a file that
    cannot be read (vanished, permission denied) propagates.
    """
    register_plugins()
    kind = classify(path)
    with _content_errors("cannot render"):
        if kind == "image":
            return _render_image_file(path, settings)
        if kind == "raw":
            return _render_raw_file(path, settings)
        if kind == "video":
            return _render_video_file(path, settings)
    ext = extension(path)
    raise RenderError(f"cannot render {ext or 'a file without extension'}: not a photo or video")


# --- errors -------------------------------------------------------------------------------


class _Unidentified(Exception):
    """No image format we render recognises the content."""


@contextmanager
def _content_errors(what: str) -> Iterator[None]:
    """Decoder failures -> RenderError("{what}: {reason}"); I/O errors propagate."""
    try:
        yield
    except (RenderError, _Unidentified, StillImage):
        raise
    except MediaError as exc:
        raise RenderError(str(exc)) from exc
    except Image.DecompressionBombError as exc:
        raise RenderError(f"image is too large to decode safely: {exc}") from exc
    except MemoryError as exc:
        raise RenderError(f"{what}: out of memory") from exc
    except Exception as exc:
        if is_io_error(exc):
            raise
        raise RenderError(f"{what}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    """A decoder's message, on one line, without advice meant for developers."""
    reason: Any = exc.args[0] if len(exc.args) == 1 else exc
    if isinstance(reason, bytes):  # LibRaw
        reason = reason.decode("utf-8", "replace")
    text = " ".join(str(reason).split())
    text = text.split(" Please build `libjxl`")[0]  # pillow-jxl: "Generic Error. Please ..."
    return text or type(exc).__name__


# --- still images -------------------------------------------------------------------------


def _render_image_file(path: str, settings: RenderSettings) -> Rendered:
    with open(path, "rb") as fp:
        try:
            return _render_image(fp, settings)
        except _Unidentified as error:
            message = str(error)
            fp.seek(0)
            video = looks_like_video(fp.read(512))
    if video:  # a video under an image extension still renders
        try:
            return _render_video_file(path, settings, fallback=False)
        except RenderError:
            pass
    raise RenderError(message)


def _render_image(
    fp: BinaryIO,
    settings: RenderSettings,
    formats: tuple[str, ...] = PIL_FORMATS,
    orientation: int | None = None,
) -> Rendered:
    """Render an image file; ``orientation`` overrides the image's own (RAW previews)."""
    prefix = fp.read(PREFIX_BYTES)
    jxl = prefix.startswith(JXL_PREFIXES) and "JXL" in formats
    with _content_errors("not a readable image" + (": JPEG XL decoding failed" if jxl else "")):
        if jxl:
            # pillow-jxl decodes everything at open: check the size from the header first
            check_pixels(*jxl_size(fp), settings)
        try:
            im = open_image(fp, prefix, formats)
        except UnidentifiedImageError:
            raise _Unidentified(
                "not a readable image: cannot identify image file (unknown or damaged content)"
            ) from None
    with im:
        check_pixels(*im.size, settings)
        return _render_opened(im, fp, settings, orientation)


def _render_opened(
    im: ImageFile.ImageFile, fp: BinaryIO, settings: RenderSettings, orientation: int | None
) -> Rendered:
    target = fit(*im.size, settings.preview_size)
    icc = im.info.get("icc_profile")
    nclx = None
    if im.format in ("AVIF", "HEIF"):
        nclx = None if icc else bmff.nclx(fp)
        _check_item_data(fp)
    dct = im.format in ("JPEG", "MPO") and target != im.size
    request = (math.ceil(target[0] * _MIN_RESIDUAL), math.ceil(target[1] * _MIN_RESIDUAL))
    preview = None
    if dct and im.mode in ("RGB", "L"):
        fp.seek(0)
        preview = scaled_jpeg(fp.read(), im.size, request, target)
    if preview is None:
        with _content_errors("image is truncated or corrupt"):
            if dct:
                im.draft("RGB", request)
            im.load()
            pixels = _normalise_mode(im)
        with _content_errors("cannot convert the image"):
            preview = resize(pixels, target)
    if orientation is None:
        orientation = _image_orientation(im)
    with _content_errors("cannot convert the image"):
        preview = to_srgb(preview, icc, nclx)
    return encode(orient(preview, orientation), settings)


def _image_orientation(im: ImageFile.ImageFile) -> int:
    """EXIF orientation of a loaded image, as ``ImageOps.exif_transpose`` would apply it.

    HEIF and JPEG XL decoders apply the container's rotation themselves (pillow-heif
    rewrites the tag to 1, pillow-jxl leaves a stale one): see metadata/image.py.
    """
    if im.format == "HEIF" or (im.format == "JXL" and not getattr(im, "jpeg", False)):
        return 1
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # damaged EXIF does not make the image unusable
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _normalise_mode(im: Image.Image) -> Image.Image:
    """Pixels in a mode that resamples correctly and that the colour step understands:
    L, RGB, RGBA, or CMYK (converted through its profile after resizing)."""
    mode = im.mode
    if mode in ("RGB", "L", "RGBA", "CMYK"):
        return im
    if mode in ("P", "PA", "LA", "La", "RGBa", "RGBX"):
        transparent = mode in ("PA", "LA", "La", "RGBa") or im.has_transparency_data
        return im.convert("RGBA" if transparent else "RGB")
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _high_bit_depth_to_l(im)
    if mode in ("YCbCr", "HSV", "LAB"):
        return im.convert("RGB")
    raise RenderError(f"cannot render images in pixel format {mode}")


def _high_bit_depth_to_l(im: Image.Image) -> Image.Image:
    """16-bit and 32-bit grayscale scaled to 8 bits (Pillow's convert would clip)."""
    values = np.asarray(im)
    if im.mode == "F":
        peak = float(np.nanmax(values)) if values.size else 1.0
        scaled = values * (255.0 if peak <= 1.0 else 255.0 / 65535.0)
    else:
        scaled = values.astype(np.float32) / 257.0
    return Image.fromarray(np.clip(np.nan_to_num(scaled) + 0.5, 0, 255).astype(np.uint8), "L")


def _check_item_data(fp: BinaryIO) -> None:
    """RenderError when an AVIF/HEIF file ends before the image data its ``iloc`` box
    points to: libheif decodes the missing tiles of a truncated file as green blocks."""
    ends = bmff.item_data_end(fp)
    if ends is not None and ends[1] > ends[0]:
        size, needed = ends
        raise RenderError(
            f"image is truncated or corrupt: the file ends at byte {size}, "
            f"its image data at byte {needed}"
        )


# --- RAW ----------------------------------------------------------------------------------


def _render_raw_file(path: str, settings: RenderSettings) -> Rendered:
    import rawpy

    from media_pipeline.metadata.raw import FLIP_ORIENTATION

    try:
        raw = rawpy.imread(path)
    except Exception as exc:
        if is_io_error(exc):
            raise
        with open(path, "rb") as fp:  # a JPEG or PNG under a RAW extension still renders
            try:
                return _render_image(fp, settings, NON_TIFF_FORMATS)
            except _Unidentified:
                pass
        with _content_errors("not a readable RAW image"):
            raise exc from None
    with raw, _content_errors("not a readable RAW image"):
        sizes = raw.sizes
        width, height = int(sizes.width), int(sizes.height)
        check_pixels(width, height, settings)
        orientation = FLIP_ORIENTATION.get(int(sizes.flip), 1)
        rendered = _raw_embedded_preview(raw, settings, orientation, max(width, height))
        if rendered is not None:
            return rendered
        # No usable embedded preview: demosaic at half size (LibRaw applies the flip)
        with _content_errors("RAW image is corrupt"):
            pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        image = Image.fromarray(pixels)
        preview = resize(image, fit(*image.size, settings.preview_size))
        return encode(preview, settings)


def _raw_embedded_preview(
    raw: Any, settings: RenderSettings, orientation: int, raw_longest: int
) -> Rendered | None:
    """The camera's own JPEG (or bitmap) preview, when it is as large as the preview we
    make (or the whole image); None to decode the RAW data instead."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except Exception as exc:
        if is_io_error(exc):
            raise
        return None
    needed = min(settings.preview_size, raw_longest)
    if thumb.format == rawpy.ThumbFormat.BITMAP:
        image = Image.fromarray(thumb.data)
        if max(image.size) < needed:
            return None
        preview = resize(image, fit(*image.size, settings.preview_size))
        return encode(orient(preview, orientation), settings)
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None
    fp = io.BytesIO(thumb.data)
    try:
        im = open_image(fp, fp.read(PREFIX_BYTES), ("JPEG",))
    except Exception:
        return None
    with im:
        if max(im.size) < needed:
            return None
        check_pixels(*im.size, settings)
        own = _image_orientation(im)  # a preview with its own tag: trust the tag
        try:
            return _render_opened(im, fp, settings, own if own != 1 else orientation)
        except RenderError:
            return None  # a damaged preview: decode the RAW data instead


# --- video --------------------------------------------------------------------------------


def _render_video_file(path: str, settings: RenderSettings, fallback: bool = True) -> Rendered:
    """``fallback``: render image content found under a video extension as an image."""
    from media_pipeline.metadata.video import open_container

    try:
        container = open_container(path)
    except MediaError as exc:
        if fallback:
            try:
                return _render_image_file_strict(path, settings)
            except _Unidentified:
                pass
        raise RenderError(str(exc)) from None
    try:
        with _content_errors("video is corrupt"):
            frame, rotation = poster(container, settings)
    except StillImage:
        if not fallback:
            raise RenderError("not a video: content is an image") from None
        frame = None
    finally:
        container.close()
    if frame is None:
        try:
            return _render_image_file_strict(path, settings)
        except _Unidentified as error:
            raise RenderError(str(error)) from None
    with _content_errors("video is corrupt"):
        return encode(orient(frame, _rotation_orientation(rotation)), settings)


def _render_image_file_strict(path: str, settings: RenderSettings) -> Rendered:
    with open(path, "rb") as fp:
        return _render_image(fp, settings)


def _rotation_orientation(degrees: float) -> int:
    from media_pipeline.metadata.video import orientation_for_rotation

    return orientation_for_rotation(degrees) or 1
