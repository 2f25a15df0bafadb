"""Reading camera RAW files: size and orientation from LibRaw (rawpy), EXIF from ExifRead.

``rawpy.imread`` only opens and identifies the file (no raw data is unpacked), so
this stays cheap even for 100 MB files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import exifread
import rawpy

from media_pipeline.metadata.errors import MediaError, is_io_error
from media_pipeline.metadata.exif import ExifFields, fields_from_exifread
from media_pipeline.metadata.formats import EXTENSION_MIME
from media_pipeline.metadata.image import pixel_limit_error

# LibRaw's ``sizes.flip`` -> EXIF orientation
FLIP_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}


@dataclass
class RawInfo:
    """What the RAW reader found in one file."""

    mime: str
    width: int
    height: int
    orientation: int | None
    exif: ExifFields


def _message(error: BaseException) -> str:
    """LibRaw errors carry bytes messages."""
    reason: Any = error.args[0] if error.args else type(error).__name__
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason)


def _exif(source: Any) -> ExifFields:
    """EXIF through ExifRead; any failure means no EXIF (it is metadata)."""
    try:
        tags = exifread.process_file(source, details=False, extract_thumbnail=False)
    except Exception:
        return ExifFields()
    return fields_from_exifread(tags)


def read_raw(path: str, data: bytes | None, *, ext: str, max_pixels: int) -> RawInfo:
    """Describe one RAW file; raises MediaError when LibRaw cannot identify it."""
    try:
        with rawpy.imread(io.BytesIO(data) if data is not None else path) as raw:
            sizes = raw.sizes
            width, height, flip = int(sizes.width), int(sizes.height), int(sizes.flip)
    except Exception as exc:
        if is_io_error(exc):
            raise
        raise MediaError(f"not a readable RAW image: {_message(exc)}") from exc
    if width <= 0 or height <= 0:
        raise MediaError("not a readable RAW image: no image size")
    error = pixel_limit_error(width, height, max_pixels)
    if error:
        raise error
    if data is not None:
        exif = _exif(io.BytesIO(data))
    else:
        with open(path, "rb") as handle:
            exif = _exif(handle)
    orientation = FLIP_ORIENTATION.get(flip, exif.orientation)
    return RawInfo(EXTENSION_MIME.get(ext, "image/x-raw"), width, height, orientation, exif)
