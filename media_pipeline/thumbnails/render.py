"""One original in, a JPEG preview and a WebP thumbnail out: pure functions, no Dagster.

Every original is decoded once, at the smallest scale the preview needs, and the thumbnail
is made from the preview's pixels:

- JPEG: DCT-scaled decoding (``Image.draft``): libjpeg-turbo decodes a 24 MP photo at 1/2
  or 1/4 size for a fraction of the cost of a full decode. The scale is chosen to leave at
  least ``_MIN_RESIDUAL`` of the reduction to LANCZOS (sharp lowers libjpeg's shrink the
  same way): DCT-scaled pixels that LANCZOS barely touches keep the block-wise scaling's
  aliasing. bench/thumbnails.py measures the trade.
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
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

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
    pixel_limit_error,
)
from media_pipeline.metadata.jxl import jxl_size
from media_pipeline.stages.pool import ItemError

__all__ = ["RENDERER_VERSION", "RenderError", "RenderSettings", "Rendered", "render"]

# Bump when a change to this module changes the pixels or encoding of the outputs: every
# derivative made by an older version is then re-rendered.
RENDERER_VERSION = "1"

LANCZOS = Image.Resampling.LANCZOS
# JPEG: decode at the largest DCT scale (1/2, 1/4, 1/8) that leaves LANCZOS at least this
# factor. Measured on the bench's 12-24 MP JPEGs (one core): 1.0 is 8% faster with a mean
# SSIM of 0.980 against the full-decode preview; 1.25: 0.983; 1.5: 35% slower, 0.993.
_MIN_RESIDUAL = 1.25
# Other formats decode at full size: an integer reduce() (box filter) first, leaving
# LANCZOS at least this factor, like the JPEG rule (a 12 MP HEIC: 117 -> 48 ms; SSIM of
# the preview against LANCZOS alone 0.993). The thumbnail, resized from the preview, keeps
# Pillow's recommended gap of 2.0 (4 ms).
_PREVIEW_GAP = 1.25
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


class _StillImage(Exception):
    """FFmpeg found a still image in a file with a video extension."""


@contextmanager
def _content_errors(what: str) -> Iterator[None]:
    """Decoder failures -> RenderError("{what}: {reason}"); I/O errors propagate."""
    try:
        yield
    except (RenderError, _Unidentified, _StillImage):
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


def _check_pixels(width: int, height: int, settings: RenderSettings) -> None:
    if width <= 0 or height <= 0:
        raise RenderError(f"image has no pixels ({width}x{height})")
    error = pixel_limit_error(width, height, settings.max_pixels, setting="thumbnails")
    if error is not None:  # the thumbnails' own max_megapixels applies here, not the scan's
        raise RenderError(str(error))


# --- geometry -----------------------------------------------------------------------------


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


def _orient(im: Image.Image, orientation: int) -> Image.Image:
    for method in _TRANSPOSE.get(orientation, []):
        im = im.transpose(method)
    return im


def _resize(im: Image.Image, size: tuple[int, int], gap: float = _PREVIEW_GAP) -> Image.Image:
    if im.size == size:
        return im
    return im.resize(size, LANCZOS, reducing_gap=gap)


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
            _check_pixels(*jxl_size(fp), settings)
        try:
            im = open_image(fp, prefix, formats)
        except UnidentifiedImageError:
            raise _Unidentified(
                "not a readable image: cannot identify image file (unknown or damaged content)"
            ) from None
    with im:
        _check_pixels(*im.size, settings)
        return _render_opened(im, fp, settings, orientation)


def _render_opened(
    im: ImageFile.ImageFile, fp: BinaryIO, settings: RenderSettings, orientation: int | None
) -> Rendered:
    target = fit(*im.size, settings.preview_size)
    icc = im.info.get("icc_profile")
    nclx = None
    if im.format in ("AVIF", "HEIF"):
        nclx = None if icc else _nclx(fp)
        _check_item_data(fp)
    with _content_errors("image is truncated or corrupt"):
        if im.format in ("JPEG", "MPO") and target != im.size:
            residual = _MIN_RESIDUAL
            im.draft("RGB", (math.ceil(target[0] * residual), math.ceil(target[1] * residual)))
        im.load()
        if orientation is None:
            orientation = _image_orientation(im)
        pixels = _normalise_mode(im)
    with _content_errors("cannot convert the image"):
        preview = _resize(pixels, target)
        preview = _to_srgb(preview, icc, nclx)
    return _encode(_orient(preview, orientation), settings)


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


# --- colour -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _probe_image(mode: str) -> Image.Image:
    """Colours spanning the gamut, to tell an sRGB-equivalent profile from another."""
    levels = np.linspace(0, 255, 9).round().astype(np.uint8)
    cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(27, 27, 3)
    if mode == "L":
        return Image.fromarray(np.ascontiguousarray(cube[..., 0]), "L")
    rgb = Image.fromarray(np.ascontiguousarray(cube), "RGB")
    return rgb.convert("RGBA") if mode == "RGBA" else rgb


@lru_cache(maxsize=32)
def _icc_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached transform from an embedded profile to sRGB; None when the profile is
    sRGB or equivalent (most photos: nothing to do), or unusable (it is then ignored)."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if mode == "RGBA" else "RGB"
        transform = ImageCms.buildTransform(
            source,
            _srgb_profile(),
            mode,
            out_mode,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
        if mode == "CMYK":
            return transform
        probe = _probe_image(mode)
        converted = np.asarray(transform.apply(probe).convert("RGB"), dtype=np.int16)
        expected = np.asarray(probe.convert("RGB"), dtype=np.int16)
    except Exception:  # a damaged or unsupported profile: show the pixels as they are
        return None
    return None if int(np.abs(converted - expected).max()) <= 2 else transform


def _to_srgb(im: Image.Image, icc: bytes | None, nclx: tuple[int, int] | None) -> Image.Image:
    if icc and im.mode in ("RGB", "RGBA", "L", "CMYK"):
        transform = _icc_transform(icc, im.mode)
        if transform is not None:
            return transform.apply(im)
    if im.mode == "CMYK":
        return im.convert("RGB")
    if nclx is not None and im.mode in ("RGB", "RGBA"):
        primaries, transfer = nclx
        if not _is_srgb_nclx(primaries, transfer):
            return _convert_encoded(im, primaries, transfer)
    return im


def _boxes(fp: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, box end) of the ISO-BMFF boxes between ``start`` and ``end``."""
    offset = start
    for _ in range(1024):
        if offset + 8 > end:
            return
        fp.seek(offset)
        header = fp.read(16)
        if len(header) < 8:
            return
        size, box_type = struct.unpack(">I4s", header[:8])
        header_size = 8
        if size == 1 and len(header) >= 16:
            size, header_size = struct.unpack(">Q", header[8:16])[0], 16
        elif size == 0:
            size = end - offset
        if size < header_size:
            return
        yield box_type, offset + header_size, offset + size
        offset += size


def _box(fp: BinaryIO, end: int, *path: bytes) -> tuple[int, int] | None:
    """(body start, end) of the first box at ``path`` ("meta" is a FullBox: its body starts
    after version and flags)."""
    start = 0
    for name in path:
        for box_type, body, box_end in _boxes(fp, start, end):
            if box_type == name:
                start, end = body + (4 if name == b"meta" else 0), box_end
                break
        else:
            return None
    return start, end


def _file_size(fp: BinaryIO) -> int:
    fp.seek(0, io.SEEK_END)
    return fp.tell()


def _nclx(fp: BinaryIO) -> tuple[int, int] | None:
    """(colour primaries, transfer characteristics) of an AVIF/HEIF image's first nclx
    ``colr`` property (ITU-T H.273 codes), or None. Pillow does not report them."""
    try:
        found = _box(fp, _file_size(fp), b"meta", b"iprp", b"ipco")
        if found is None:
            return None
        for box_type, body, _end in _boxes(fp, *found):
            if box_type == b"colr":
                fp.seek(body)
                data = fp.read(8)
                if data[:4] == b"nclx" and len(data) == 8:
                    primaries, transfer = struct.unpack(">HH", data[4:8])
                    return primaries, transfer
    except (OSError, struct.error, ValueError):
        return None
    return None


def _check_item_data(fp: BinaryIO) -> None:
    """RenderError when an AVIF/HEIF file ends before the image data its ``iloc`` box
    points to: libheif decodes the missing tiles of a truncated file as green blocks."""
    try:
        size = _file_size(fp)
        found = _box(fp, size, b"meta", b"iloc")
        if found is None:
            return
        fp.seek(found[0])
        data = fp.read(min(found[1] - found[0], 1 << 20))
        needed = _iloc_end(data)
    except (OSError, struct.error, ValueError, IndexError):
        return  # a damaged index: the decoder judges the file
    if needed > size:
        raise RenderError(
            f"image is truncated or corrupt: the file ends at byte {size}, "
            f"its image data at byte {needed}"
        )


def _iloc_end(data: bytes) -> int:
    """The largest end offset of the file-offset extents in an ``iloc`` box body."""
    version = data[0]
    pos = 4
    offset_size, length_size = data[pos] >> 4, data[pos] & 15
    base_offset_size, index_size = data[pos + 1] >> 4, data[pos + 1] & 15
    pos += 2

    def read(width: int) -> int:
        nonlocal pos
        value = int.from_bytes(data[pos : pos + width], "big")
        if pos + width > len(data):
            raise ValueError("iloc is truncated")
        pos += width
        return value

    count = read(4 if version == 2 else 2)
    end = 0
    for _ in range(count):
        read(4 if version == 2 else 2)  # item ID
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)  # data reference index
        base = read(base_offset_size)
        for _ in range(read(2)):
            if version in (1, 2) and index_size:
                read(index_size)
            offset, length = read(offset_size), read(length_size)
            if method == 0 and length:
                end = max(end, base + offset + length)
    return end


_SRGB_TRANSFERS = frozenset({1, 2, 6, 13, 14, 15})  # BT.709 family, sRGB, unspecified
_SDR_PRIMARIES = frozenset({1, 2})  # BT.709 (= sRGB), unspecified


def _is_srgb_nclx(primaries: int, transfer: int) -> bool:
    return primaries in _SDR_PRIMARIES and transfer in _SRGB_TRANSFERS


# RGB -> XYZ of the H.273 primaries we convert from (D65 white unless noted)
_PRIMARIES_XY: dict[int, tuple[tuple[float, float], ...]] = {
    1: ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060), (0.3127, 0.3290)),  # BT.709
    9: ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046), (0.3127, 0.3290)),  # BT.2020
    11: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.314, 0.351)),  # DCI-P3
    12: ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060), (0.3127, 0.3290)),  # Display P3
}


def _rgb_to_xyz(primaries: int) -> np.ndarray:
    *colours, white = _PRIMARIES_XY.get(primaries, _PRIMARIES_XY[1])
    columns = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in colours]).T
    wx, wy = white
    scale = np.linalg.solve(columns, np.array([wx / wy, 1.0, (1 - wx - wy) / wy]))
    return columns * scale


@lru_cache(maxsize=8)
def _to_bt709(primaries: int) -> np.ndarray:
    """Linear RGB in ``primaries`` -> linear sRGB/BT.709 (white points are matched by the
    matrices' construction: both map their white to Y = 1)."""
    return np.linalg.solve(_rgb_to_xyz(1), _rgb_to_xyz(primaries)).astype(np.float32)


_SDR_WHITE_NITS = 203.0  # ITU-R BT.2408 reference white


def _linearise(encoded: np.ndarray, transfer: int) -> tuple[np.ndarray, bool]:
    """(linear light with SDR white at 1.0, whether it is HDR and needs tone mapping)."""
    if transfer == 16:  # SMPTE ST 2084 (PQ), absolute: 1.0 = 10000 nits
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        power = np.power(encoded, 1 / m2)
        nits = 10000 * np.power(np.maximum(power - c1, 0) / (c2 - c3 * power), 1 / m1)
        return nits / _SDR_WHITE_NITS, True
    if transfer == 18:  # ARIB STD-B67 (HLG): inverse OETF, then the 1000-nit display OOTF
        a, b, c = 0.17883277, 0.28466892, 0.55991073
        scene = np.where(
            encoded <= 0.5, encoded * encoded / 3, (np.exp((encoded - c) / a) + b) / 12
        )
        luma = scene @ np.array([0.2627, 0.6780, 0.0593], np.float32)
        nits = 1000 * scene * np.power(np.maximum(luma, 1e-6), 0.2)[..., None]
        return nits / _SDR_WHITE_NITS, True
    if transfer == 8:
        return encoded, False
    if transfer == 4:
        return np.power(encoded, 2.2), False
    if transfer == 5:
        return np.power(encoded, 2.8), False
    return _srgb_decode(encoded), False


def _srgb_decode(encoded: np.ndarray) -> np.ndarray:
    return np.where(encoded <= 0.04045, encoded / 12.92, np.power((encoded + 0.055) / 1.055, 2.4))


def _srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


_KNEE = 0.75  # linear level (SDR white = 1) above which HDR highlights are compressed


def _tone_map(linear: np.ndarray) -> np.ndarray:
    """HDR (SDR white = 1.0) to SDR: levels up to the knee stay as they are, brighter ones
    roll off smoothly towards 1.0 (an exponential shoulder, slope 1 at the knee). Applied
    to the brightest channel and the pixel scaled by it, which keeps hues."""
    peak = np.max(linear, axis=-1)
    over = np.maximum(peak - _KNEE, 0) / (1 - _KNEE)
    mapped = np.where(peak > _KNEE, _KNEE + (1 - _KNEE) * -np.expm1(-over), peak)
    scale = np.where(peak > 1e-6, mapped / np.maximum(peak, 1e-6), 1.0)
    return linear * scale[..., None]


def convert_to_srgb(rgb: np.ndarray, primaries: int, transfer: int) -> np.ndarray:
    """Encoded RGB in [0, 1] (H.273 primaries/transfer) -> 8-bit sRGB, tone-mapping HDR."""
    linear, hdr = _linearise(rgb.astype(np.float32, copy=False), transfer)
    linear = linear.astype(np.float32, copy=False)
    if primaries not in _SDR_PRIMARIES:
        linear = linear @ _to_bt709(primaries).T
    if hdr:
        linear = _tone_map(np.maximum(linear, 0))
    return (_srgb_encode(linear) * 255 + 0.5).astype(np.uint8)


def _convert_encoded(im: Image.Image, primaries: int, transfer: int) -> Image.Image:
    alpha = im.getchannel("A") if im.mode == "RGBA" else None
    rgb = np.asarray(im.convert("RGB") if alpha is not None else im, dtype=np.float32) / 255
    out = Image.fromarray(convert_to_srgb(rgb, primaries, transfer), "RGB")
    if alpha is not None:
        out.putalpha(alpha)
    return out


# --- output -------------------------------------------------------------------------------


def _encode(preview: Image.Image, settings: RenderSettings) -> Rendered:
    """JPEG preview and WebP thumbnail (made from the preview's pixels), no metadata."""
    preview.info = {}  # nothing of the original's info (EXIF, XMP, ICC) may be written
    thumbnail = _resize(preview, fit(*preview.size, settings.thumbnail_size), _THUMBNAIL_GAP)
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
        _check_pixels(width, height, settings)
        orientation = FLIP_ORIENTATION.get(int(sizes.flip), 1)
        rendered = _raw_embedded_preview(raw, settings, orientation, max(width, height))
        if rendered is not None:
            return rendered
        # No usable embedded preview: demosaic at half size (LibRaw applies the flip)
        with _content_errors("RAW image is corrupt"):
            pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        image = Image.fromarray(pixels)
        preview = _resize(image, fit(*image.size, settings.preview_size))
        return _encode(preview, settings)


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
        preview = _resize(image, fit(*image.size, settings.preview_size))
        return _encode(_orient(preview, orientation), settings)
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
        _check_pixels(*im.size, settings)
        own = _image_orientation(im)  # a preview with its own tag: trust the tag
        try:
            return _render_opened(im, fp, settings, own if own != 1 else orientation)
        except RenderError:
            return None  # a damaged preview: decode the RAW data instead


# --- video --------------------------------------------------------------------------------

_POSTER_AT = 0.10  # of the duration
_MAX_POSTER_FRAMES = 150  # decoded looking for a non-black frame (5 s at 30 fps)
_MAX_PACKETS = 2000  # demuxed without a frame before giving up
_BLACK_MEAN, _BLACK_PEAK = 20.0, 48  # RGB levels of a "black" frame (fades, lens cap)


def _render_video_file(path: str, settings: RenderSettings, fallback: bool = True) -> Rendered:
    """``fallback``: render image content found under a video extension as an image."""
    import av

    try:
        container = av.open(path, metadata_errors="replace")
    except Exception as exc:
        if is_io_error(exc):
            raise
        reason = getattr(exc, "strerror", None) or exc
        if fallback:
            try:
                return _render_image_file_strict(path, settings)
            except _Unidentified:
                pass
        raise RenderError(f"not a readable video: {reason}") from None
    try:
        with _content_errors("video is corrupt"):
            frame, rotation = _poster(container, settings)
    except _StillImage:
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
        return _encode(_orient(frame, _rotation_orientation(rotation)), settings)


def _render_image_file_strict(path: str, settings: RenderSettings) -> Rendered:
    with open(path, "rb") as fp:
        return _render_image(fp, settings)


def _rotation_orientation(degrees: float) -> int:
    from media_pipeline.metadata.video import orientation_for_rotation

    return orientation_for_rotation(degrees) or 1


def _poster(container: Any, settings: RenderSettings) -> tuple[Image.Image, float]:
    """The poster frame as a preview-sized sRGB image, and the display rotation."""
    import av

    from media_pipeline.metadata.video import IMAGE_DEMUXERS, STILL_BRANDS

    tags = {key.lower(): value for key, value in container.metadata.items()}
    brand = (tags.get("major_brand") or "").strip().lower()
    name = container.format.name
    if name in IMAGE_DEMUXERS or name.endswith("_pipe") or brand in STILL_BRANDS:
        raise _StillImage
    streams = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not streams:
        raise RenderError("not a video: no video stream")
    stream = streams[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width and height:
        _check_pixels(width, height, settings)
    stream.thread_type = "AUTO"
    duration = None
    if container.duration and container.duration > 0:
        duration = container.duration / av.time_base
    elif stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    frame = None
    if duration and duration > 0:
        frame = _first_bright_frame(container, stream, duration * _POSTER_AT)
    if frame is None:  # no duration, seeking failed, or nothing after the seek point
        container.seek(0)
        frame = _first_bright_frame(container, stream, 0.0)
    if frame is None:
        raise RenderError("video is corrupt: no decodable frame")
    _check_pixels(frame.width, frame.height, settings)
    sar = stream.codec_context.sample_aspect_ratio
    image = _frame_image(frame, settings, float(sar) if sar else 1.0)
    return image, float(getattr(frame, "rotation", 0) or 0)


def _first_bright_frame(container: Any, stream: Any, start: float) -> Any | None:
    """The first non-black frame at or after ``start`` seconds (within a few seconds), or
    the first frame there when all are black; None when none decodes."""
    if start > 0:
        try:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        except Exception:
            return None
    first = None
    seen = packets = 0
    for packet in container.demux(stream):
        packets += 1
        for frame in packet.decode():
            if frame.time is not None and frame.time < start - 1e-3:
                continue  # decoding forward from the key frame before the seek point
            if first is None:
                first = frame
            if not _is_black(frame):
                return frame
            seen += 1
        if seen >= _MAX_POSTER_FRAMES or (first is None and packets >= _MAX_PACKETS):
            return first
    return first


def _is_black(frame: Any) -> bool:
    height = max(1, 32 * frame.height // max(frame.width, 1))
    rgb = frame.reformat(width=32, height=height, format="rgb24").to_ndarray()
    return float(rgb.mean()) < _BLACK_MEAN and int(rgb.max()) < _BLACK_PEAK


def _frame_image(frame: Any, settings: RenderSettings, sar: float) -> Image.Image:
    """The frame scaled by FFmpeg to the preview size (display aspect), in sRGB."""
    width, height = frame.width, frame.height
    if sar > 0 and sar != 1.0:  # non-square pixels (DV, some phones)
        width = max(1, round(width * sar))
    target = fit(width, height, settings.preview_size)
    range_ = {"src_color_range": frame.color_range} if frame.color_range else {}
    transfer = int(frame.color_trc or 0)
    primaries = int(frame.color_primaries or 0)
    if transfer in (16, 18) or primaries not in (0, 1, 2):
        scaled = frame.reformat(
            width=target[0],
            height=target[1],
            format="rgb48le",
            interpolation="LANCZOS",
            **range_,
        )
        rgb = scaled.to_ndarray().astype(np.float32) / 65535
        return Image.fromarray(convert_to_srgb(rgb, primaries, transfer), "RGB")
    scaled = frame.reformat(
        width=target[0], height=target[1], format="rgb24", interpolation="LANCZOS", **range_
    )
    return Image.fromarray(scaled.to_ndarray(), "RGB")
