"""Apple's MakerNote: the content identifier that ties a Live Photo's still to its video.

The MakerNote (EXIF 0x927C) of iPhone photos is "Apple iOS\\0", a version, "MM", then a
big-endian IFD whose offsets count from the MakerNote's start. Only tag 0x0011
(ContentIdentifier, ASCII) is read; anything malformed yields None.
"""

from __future__ import annotations

import struct

from media_pipeline.metadata.values import text

MAKER_NOTE = 0x927C
_HEADER = b"Apple iOS\x00"
_IFD_START = 14
_CONTENT_IDENTIFIER = 0x0011
_ASCII = 2
_MAX_ENTRIES = 512


def content_identifier(maker_note: object) -> str | None:
    """The ContentIdentifier of an Apple MakerNote (bytes), else None."""
    if not isinstance(maker_note, bytes) or not maker_note.startswith(_HEADER):
        return None
    if maker_note[12:14] != b"MM" or len(maker_note) < _IFD_START + 2:
        return None
    (count,) = struct.unpack_from(">H", maker_note, _IFD_START)
    for index in range(min(count, _MAX_ENTRIES)):
        start = _IFD_START + 2 + 12 * index
        if start + 12 > len(maker_note):
            return None
        tag, kind, length, offset = struct.unpack_from(">HHII", maker_note, start)
        if tag != _CONTENT_IDENTIFIER or kind != _ASCII:
            continue
        raw = (
            maker_note[start + 8 : start + 8 + length]
            if length <= 4
            else (maker_note[offset : offset + length])
        )
        return text(raw)
    return None
