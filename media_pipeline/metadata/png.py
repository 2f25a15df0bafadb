"""EXIF and XMP of a PNG file found by walking its chunks, without decoding pixels.

Pillow only sees metadata chunks that come before the image data unless it decodes
the whole image (``PngImageFile.getexif`` does exactly that), and the eXIf chunk is
often written after IDAT.
"""

from __future__ import annotations

import struct
import zlib
from typing import BinaryIO

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_XMP_KEYWORD = b"XML:com.adobe.xmp"
_MAX_METADATA_CHUNK = 16 * 1024 * 1024
_MAX_CHUNKS = 100_000


def png_metadata(fp: BinaryIO) -> tuple[bytes | None, bytes | None]:
    """(EXIF, XMP) payloads of a PNG stream, either None when absent.

    Stops quietly at the first damaged chunk header: this is metadata, best effort.
    """
    exif: bytes | None = None
    xmp: bytes | None = None
    fp.seek(0)
    if fp.read(8) != _SIGNATURE:
        return None, None
    offset = 8
    for _ in range(_MAX_CHUNKS):
        fp.seek(offset)
        header = fp.read(8)
        if len(header) < 8:
            break
        length, chunk_type = struct.unpack(">I4s", header)
        if chunk_type == b"IEND":
            break
        if chunk_type in (b"eXIf", b"iTXt") and length <= _MAX_METADATA_CHUNK:
            body = fp.read(length)
            if chunk_type == b"eXIf" and exif is None:
                exif = body
            elif chunk_type == b"iTXt" and xmp is None:
                xmp = _itxt_xmp(body)
        offset += 12 + length
    return exif, xmp


def _itxt_xmp(body: bytes) -> bytes | None:
    """The XMP packet of an iTXt chunk, or None when the chunk holds other text."""
    keyword, _, rest = body.partition(b"\0")
    if keyword != _XMP_KEYWORD or len(rest) < 2:
        return None
    compressed = rest[0] == 1
    # skip compression method, then the language tag and translated keyword (NUL-ended)
    parts = rest[2:].split(b"\0", 2)
    if len(parts) < 3:
        return None
    text = parts[2]
    if compressed:
        try:
            text = zlib.decompressobj().decompress(text, _MAX_METADATA_CHUNK)
        except zlib.error:
            return None
    return text
