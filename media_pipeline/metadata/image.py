"""Reading still images with Pillow: format, size, EXIF/XMP, and a cheap integrity check.

Width, height and orientation describe the image as Pillow delivers it, so that
``ImageOps.exif_transpose(Image.open(f))`` shows it upright. For JPEG, PNG, WebP,
TIFF and AVIF that is the stored size plus the EXIF orientation. HEIF and JPEG XL
decoders apply the container's rotation themselves, so their size is as decoded and
their orientation 1 (pillow-heif rewrites the EXIF tag to 1; pillow-jxl does not, so
the stale EXIF value is ignored here).

Pillow's own decompression-bomb check (``Image.MAX_IMAGE_PIXELS``, a process global
that would reject 200 MP phone photos) is bypassed by calling the format plugins
directly; the caller's ``max_pixels`` is checked instead, before any pixel is decoded.
"""

from __future__ import annotations

import io
import logging
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, ImageFile, UnidentifiedImageError

from media_pipeline.metadata.errors import MediaError, is_io_error
from media_pipeline.metadata.exif import ExifFields, fields_from_pillow
from media_pipeline.metadata.formats import (
    PIL_FORMAT_MIME,
    PIL_FORMATS,
    expected_pil_formats,
    format_name,
    register_plugins,
)
from media_pipeline.metadata.iptc import IptcFields, read_iptc
from media_pipeline.metadata.jxl import jxl_size
from media_pipeline.metadata.png import png_metadata

logger = logging.getLogger(__name__)

PREFIX_BYTES = 16
JXL_PREFIXES = (b"\xff\x0a", b"\x00\x00\x00\x0cJXL ")
# TIFF is left out when rescuing files with a RAW extension: most RAW formats are
# TIFF containers, and Pillow opening one is no sign of a misnamed file.
NON_TIFF_FORMATS: tuple[str, ...] = tuple(f for f in PIL_FORMATS if f != "TIFF")
# Formats whose IPTC block Pillow finds (APP13 in JPEG, tag 33723 in TIFF)
IPTC_FORMATS = frozenset({"JPEG", "MPO", "TIFF"})


class UnidentifiedContent(MediaError):
    """No catalogued image format recognises the content."""


@dataclass
class ImageInfo:
    """What the image reader found in one file."""

    pil_format: str
    mime: str
    width: int
    height: int
    exif: ExifFields
    xmp: bytes | None
    extension_mismatch: str | None
    iptc: IptcFields = field(default_factory=IptcFields)


def pixel_limit_error(
    width: int, height: int, max_pixels: int, setting: str = "scan"
) -> MediaError | None:
    """The error for an image above the pixel limit, None when within it."""
    if width * height <= max_pixels:
        return None
    return MediaError(
        f"image is {width}x{height} ({width * height / 1e6:.1f} MP), above the "
        f"{max_pixels / 1e6:g} MP limit ({setting} setting max_megapixels)"
    )


def open_image(fp: BinaryIO, prefix: bytes, formats: tuple[str, ...]) -> ImageFile.ImageFile:
    """``Image.open`` restricted to ``formats``, minus its global pixel-limit check."""
    for pil_format in formats:
        plugin = Image.OPEN.get(pil_format)
        if plugin is None:
            continue
        factory, accept = plugin
        accepted = accept(prefix) if accept else True
        if not accepted or isinstance(accepted, str):  # a str explains a refusal
            continue
        fp.seek(0)
        try:
            return factory(fp, None)  # type: ignore[return-value]
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue  # not this format after all: try the next, as Image.open does
    raise UnidentifiedImageError("cannot identify image file")


def _exif_and_xmp(im: ImageFile.ImageFile, fp: BinaryIO) -> tuple[ExifFields, bytes | None]:
    xmp = im.info.get("xmp")
    if im.format == "PNG" and "exif" not in im.info:
        # PngImageFile.getexif() would decode the whole image to find a late eXIf chunk
        exif_bytes, late_xmp = png_metadata(fp)
        exif = Image.Exif()
        if exif_bytes:
            exif.load(exif_bytes)
        xmp = xmp or late_xmp
    else:
        exif = im.getexif()
    if xmp is None and im.format == "TIFF":
        xmp = exif.get(700)
    fields = fields_from_pillow(exif)
    if im.format == "HEIF" or (im.format == "JXL" and not getattr(im, "jpeg", False)):
        fields.orientation = 1
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return fields, xmp if isinstance(xmp, bytes) else None


_warned_truncated_loading = False


def _warn_truncated_loading() -> None:
    global _warned_truncated_loading
    _warned_truncated_loading = True
    logger.warning(
        "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set elsewhere in this process: "
        "truncated images will not be detected"
    )


def _ends_with_jpeg_eoi(fp: BinaryIO) -> bool:
    """A JPEG whose last bytes (padding aside) are the EOI marker was written completely."""
    fp.seek(0, io.SEEK_END)
    fp.seek(max(0, fp.tell() - 64))
    return fp.read().rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


def _verify(im: ImageFile.ImageFile, fp: BinaryIO) -> None:
    """Decode just enough to notice truncated or corrupt data.

    JPEG: complete when it ends with its EOI marker (free, and what a truncated file lacks);
    otherwise — truncated, or data appended such as a motion photo's video — a DCT-scaled
    decode at 1/8 size, whose entropy decoding still covers every byte of the image. Damage
    inside a complete JPEG shows when thumbnails decode it.
    PNG: ``verify()``, which checks every chunk's CRC without inflating pixels.
    Other formats: parsing the headers at open is all that is checked.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES and not _warned_truncated_loading:
        _warn_truncated_loading()
    if im.format in ("JPEG", "MPO"):
        if _ends_with_jpeg_eoi(fp):
            return
        width, height = im.size
        im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        im.load()
    elif im.format == "PNG":
        im.verify()


def read_image(
    path: str,
    data: bytes | None,
    *,
    ext: str,
    max_pixels: int,
    verify: bool,
    formats: tuple[str, ...] = PIL_FORMATS,
) -> ImageInfo:
    """Identify, size-check, describe and (optionally) verify one image.

    Raises MediaError for content problems; OSError from reading the file propagates.
    """
    register_plugins()
    fp: BinaryIO = io.BytesIO(data) if data is not None else open(path, "rb")  # noqa: SIM115
    with fp:
        prefix = fp.read(PREFIX_BYTES)
        stage = "not a readable image"
        try:
            if prefix.startswith(JXL_PREFIXES) and "JXL" in formats:
                # pillow-jxl decodes everything at open: check the size from the header
                error = pixel_limit_error(*jxl_size(fp), max_pixels)
                if error:
                    raise error
            try:
                im = open_image(fp, prefix, formats)
            except UnidentifiedImageError:
                raise UnidentifiedContent(
                    "not a readable image: cannot identify image file "
                    f"(content does not match {ext or 'any image format'})"
                ) from None
            with im:
                width, height = im.size
                error = pixel_limit_error(width, height, max_pixels)
                if error:
                    raise error
                pil_format = im.format or ""
                if pil_format == "HEIF":  # pillow-heif tells image/heic from image/heif
                    mime = im.get_format_mimetype() or "image/heif"
                else:
                    mime = PIL_FORMAT_MIME.get(pil_format, "application/octet-stream")
                try:
                    exif, xmp = _exif_and_xmp(im, fp)
                except Exception:  # damaged metadata does not make the image unusable
                    exif, xmp = ExifFields(), None
                iptc = read_iptc(im) if pil_format in IPTC_FORMATS else IptcFields()
                if verify:
                    stage = "image is truncated or corrupt"
                    _verify(im, fp)
        except MediaError:
            raise
        except Image.DecompressionBombError as exc:
            raise MediaError(f"image is too large to decode safely: {exc}") from exc
        except Exception as exc:
            if is_io_error(exc):
                raise
            raise MediaError(f"{stage}: {exc or type(exc).__name__}") from exc
    mismatch = None
    if pil_format not in expected_pil_formats(ext):
        mismatch = f"content is {format_name(pil_format)} but the extension is {ext or '(none)'}"
    return ImageInfo(pil_format, mime, width, height, exif, xmp, mismatch, iptc)
