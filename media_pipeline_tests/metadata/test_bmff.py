"""The ISO-BMFF box parser HEIF/AVIF rendering and JPEG XL sizes share."""

from __future__ import annotations

import io
import struct

from media_pipeline.metadata.bmff import boxes, find_box, item_data_end, nclx


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _iloc(offset: int, length: int) -> bytes:
    """An iloc (version 0) with one item of one extent: 4-byte offsets and lengths."""
    return (
        b"\x00\x00\x00\x00"
        + bytes([0x44, 0x00])
        + struct.pack(">HHHHII", 1, 1, 0, 1, offset, length)
    )


def _heif(primaries: int, transfer: int, data_end: int) -> bytes:
    colr = _box(b"colr", b"nclx" + struct.pack(">HHHB", primaries, transfer, 0, 0))
    meta = _box(
        b"meta",
        b"\x00\x00\x00\x00"
        + _box(b"iprp", _box(b"ipco", colr))
        + _box(b"iloc", _iloc(data_end - 10, 10)),
    )
    return _box(b"ftyp", b"heic\x00\x00\x00\x00") + meta


def test_boxes_are_walked_and_found_by_path() -> None:
    fp = io.BytesIO(_heif(9, 16, 100))
    size = len(fp.getvalue())
    assert [kind for kind, _, _ in boxes(fp, 0, size)] == [b"ftyp", b"meta"]
    assert find_box(fp, size, b"meta", b"iprp", b"ipco") is not None
    assert find_box(fp, size, b"meta", b"nope") is None
    assert len(list(boxes(fp, 0, size, most=1))) == 1


def test_nclx_codes_and_where_the_image_data_ends() -> None:
    data = _heif(9, 16, 5000)
    assert nclx(io.BytesIO(data)) == (9, 16)
    assert item_data_end(io.BytesIO(data)) == (len(data), 5000)
    assert nclx(io.BytesIO(b"\x00" * 4)) is None and item_data_end(io.BytesIO(b"")) is None
