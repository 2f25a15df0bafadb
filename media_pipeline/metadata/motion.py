"""Motion photos: the short video a Google or Samsung camera stores inside the still.

Three layouts: HEIF stills carry it in a top-level ``mpvd`` box; Google JPEGs name its length
in XMP (``Container:Directory`` item with semantic MotionPhoto, or the older
``GCamera:MicroVideoOffset``), counted back from the end of the file; Samsung JPEGs put
it after a ``MotionPhoto_Data`` marker, in a trailer ending with ``SEFT``. Whatever the layout
says, the bytes found must start an MP4 (``ftyp``): an offset past the end or into the image
is no video, and yields None.
"""

from __future__ import annotations

import struct
from typing import Any

from media_pipeline.metadata.values import text

GCAMERA_NS = "http://ns.google.com/photos/1.0/camera/"
CONTAINER_NS = "http://ns.google.com/photos/1.0/container/"
ITEM_NS = "http://ns.google.com/photos/1.0/container/item/"
_SAMSUNG_MARKER = b"MotionPhoto_Data"
_SAMSUNG_TRAILER = b"SEFT"
_MP4_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta",
                        b"udta", b"moof", b"mfra", b"sidx", b"pdin"})  # fmt: skip
_MAX_TOP_LEVEL_BOXES = 64


def _is_mp4(data: bytes, offset: int) -> bool:
    return offset > 0 and offset + 12 <= len(data) and data[offset + 4 : offset + 8] == b"ftyp"


def _bmff_box(data: bytes, kind: bytes) -> tuple[int, int] | None:
    """(payload offset, length) of a top-level ISO-BMFF box."""
    offset = 0
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if offset + 8 > len(data):
            return None
        size, found = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1 and offset + 16 <= len(data):
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = len(data) - offset
        if size < header:
            return None
        if found == kind:
            return offset + header, min(size, len(data) - offset) - header
        offset += size
    return None


def _bmff_length(data: bytes, start: int) -> int:
    """The length of the MP4 at `start`: its top-level boxes, up to the trailer after it."""
    offset = start
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if offset + 8 > len(data):
            break
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1 and offset + 16 <= len(data):
            (size,) = struct.unpack_from(">Q", data, offset + 8)
        if size < 8 or kind not in _MP4_BOXES or offset + size > len(data):
            break
        offset += size
    return min(offset, len(data)) - start


def _xmp_length(root: Any) -> int | None:
    """The video's length from the end of the file, as Google's XMP states it."""
    for element in root.iter():
        semantic = element.attrib.get(f"{{{ITEM_NS}}}Semantic")
        length = element.attrib.get(f"{{{ITEM_NS}}}Length")
        if semantic == "MotionPhoto" and length and length.isdigit():
            return int(length)
    for element in root.iter():
        offset = text(element.attrib.get(f"{{{GCAMERA_NS}}}MicroVideoOffset"))
        if offset and offset.isdigit():
            return int(offset)
    return None


def motion_video(data: bytes, xmp_root: Any = None) -> tuple[int, int] | None:
    """(offset, length) of the embedded video, or None when there is none to trust."""
    if data[4:8] == b"ftyp":
        box = _bmff_box(data, b"mpvd")
        if box and _is_mp4(data, box[0]):
            return box
    if xmp_root is not None:
        length = _xmp_length(xmp_root)
        if length and _is_mp4(data, len(data) - length):
            return len(data) - length, length
    # Samsung's trailer ends with "SEFT"; searching only then keeps ordinary JPEGs cheap
    marker = data.rfind(_SAMSUNG_MARKER) if data.endswith(_SAMSUNG_TRAILER) else -1
    if marker > 0 and _is_mp4(data, marker + len(_SAMSUNG_MARKER)):
        start = marker + len(_SAMSUNG_MARKER)
        return start, _bmff_length(data, start)
    return None
