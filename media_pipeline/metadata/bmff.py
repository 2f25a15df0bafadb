"""ISO-BMFF boxes (HEIF, AVIF, JPEG XL containers): finding boxes, the nclx colour
property and where the image data ends. Pure parsing: values out, no judgement of the file.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from typing import BinaryIO


def boxes(fp: BinaryIO, start: int, end: int, most: int = 1024) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, box end) of the first ``most`` ISO-BMFF boxes between ``start``
    and ``end``; a box of size 0 runs to ``end``."""
    offset = start
    for _ in range(most):
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


def find_box(fp: BinaryIO, end: int, *path: bytes) -> tuple[int, int] | None:
    """(body start, end) of the first box at ``path`` ("meta" is a FullBox: its body starts
    after version and flags)."""
    start = 0
    for name in path:
        for box_type, body, box_end in boxes(fp, start, end):
            if box_type == name:
                start, end = body + (4 if name == b"meta" else 0), box_end
                break
        else:
            return None
    return start, end


def file_size(fp: BinaryIO) -> int:
    fp.seek(0, io.SEEK_END)
    return fp.tell()


def nclx(fp: BinaryIO) -> tuple[int, int] | None:
    """(colour primaries, transfer characteristics) of an AVIF/HEIF image's first nclx
    ``colr`` property (ITU-T H.273 codes), or None. Pillow does not report them."""
    try:
        found = find_box(fp, file_size(fp), b"meta", b"iprp", b"ipco")
        if found is None:
            return None
        for box_type, body, _end in boxes(fp, *found):
            if box_type == b"colr":
                fp.seek(body)
                data = fp.read(8)
                if data[:4] == b"nclx" and len(data) == 8:
                    primaries, transfer = struct.unpack(">HH", data[4:8])
                    return primaries, transfer
    except (OSError, struct.error, ValueError):
        return None
    return None


def item_data_end(fp: BinaryIO) -> tuple[int, int] | None:
    """(file size, end of the image data its ``iloc`` box points to) of an AVIF/HEIF file,
    or None without a readable index: a file that ends first is truncated (libheif decodes
    the missing tiles as green blocks)."""
    try:
        size = file_size(fp)
        found = find_box(fp, size, b"meta", b"iloc")
        if found is None:
            return None
        fp.seek(found[0])
        data = fp.read(min(found[1] - found[0], 1 << 20))
        return size, iloc_end(data)
    except (OSError, struct.error, ValueError, IndexError):
        return None  # a damaged index: the decoder judges the file


def iloc_end(data: bytes) -> int:
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
