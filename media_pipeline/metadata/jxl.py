"""The stored size of a JPEG XL image, read from its header without decoding.

pillow-jxl decodes the whole image as soon as it is opened, so the pixel limit must be
checked before Pillow sees a JXL file: a 100000x100000 header would otherwise allocate
tens of gigabytes.
"""

from __future__ import annotations

from typing import BinaryIO

from media_pipeline.metadata.bmff import boxes, file_size

_CODESTREAM_SIGNATURE = b"\xff\x0a"
_CONTAINER_SIGNATURE = b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"
# xsize = ysize * numerator / denominator for the 3-bit aspect-ratio codes 1..7
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}
_MAX_BOXES = 64


class _Bits:
    """LSB-first bit reader, as the JPEG XL codestream is written."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "little")
        self._size = len(data) * 8
        self._pos = 0

    def read(self, count: int) -> int:
        if self._pos + count > self._size:
            raise ValueError("JPEG XL header is truncated")
        value = (self._value >> self._pos) & ((1 << count) - 1)
        self._pos += count
        return value

    def dimension(self, small: bool) -> int:
        if small:
            return (self.read(5) + 1) * 8
        return self.read((9, 13, 18, 30)[self.read(2)]) + 1


def size_from_codestream(head: bytes) -> tuple[int, int]:
    """(width, height) from the SizeHeader at the start of a bare codestream."""
    if not head.startswith(_CODESTREAM_SIGNATURE):
        raise ValueError("not a JPEG XL codestream")
    bits = _Bits(head[2:16])
    small = bool(bits.read(1))
    height = bits.dimension(small)
    ratio = bits.read(3)
    if ratio == 0:
        width = bits.dimension(small)
    else:
        numerator, denominator = _RATIOS[ratio]
        width = height * numerator // denominator
    return width, height


def jxl_size(fp: BinaryIO) -> tuple[int, int]:
    """(width, height) of a JPEG XL file (bare codestream or ISO-BMFF container).

    Raises ValueError when the header cannot be found or parsed. ``fp`` is left at an
    arbitrary position.
    """
    fp.seek(0)
    head = fp.read(16)
    if head.startswith(_CODESTREAM_SIGNATURE):
        return size_from_codestream(head)
    if not head.startswith(_CONTAINER_SIGNATURE):
        raise ValueError("not a JPEG XL file")
    for box_type, body, _end in boxes(fp, len(_CONTAINER_SIGNATURE), file_size(fp), _MAX_BOXES):
        if box_type in (b"jxlc", b"jxlp"):
            fp.seek(body + (4 if box_type == b"jxlp" else 0))
            return size_from_codestream(fp.read(16))
    raise ValueError("JPEG XL file has no codestream")
