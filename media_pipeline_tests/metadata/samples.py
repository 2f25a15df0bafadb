"""Test files made on the fly: images with chosen EXIF, header-only bombs, videos, DNGs."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, TiffImagePlugin

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ASSETS = CORPUS / "immich-test-assets"


def rational(value: float | Fraction | int) -> TiffImagePlugin.IFDRational:
    fraction = Fraction(value).limit_denominator(100000)
    return TiffImagePlugin.IFDRational(fraction.numerator, fraction.denominator)


def dms(degrees: float, minutes: float, seconds: float) -> tuple[Any, ...]:
    return (rational(degrees), rational(minutes), rational(seconds))


def make_exif(
    ifd0: dict[int, Any] | None = None,
    exif: dict[int, Any] | None = None,
    gps: dict[int, Any] | None = None,
) -> Image.Exif:
    """An ``Image.Exif`` with tags in IFD0, the Exif IFD and the GPS IFD."""
    result = Image.Exif()
    result.update(ifd0 or {})
    if exif:
        result.get_ifd(0x8769).update(exif)
    if gps:
        result.get_ifd(0x8825).update(gps)
    return result


def write_image(
    path: Path, size: tuple[int, int] = (64, 48), exif: Image.Exif | None = None, **save: Any
) -> Path:
    """A small noisy RGB image (noise keeps JPEGs from being tiny) saved by extension."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB")
    if exif is not None:
        save["exif"] = exif.tobytes()  # an Exif with only a GPS IFD is falsy to Pillow
    image.save(path, **save)
    return path


def jxl_codestream_header(width: int, height: int) -> bytes:
    """A JPEG XL SizeHeader for a large image (no ratio shortcut), LSB-first."""
    bits, count = 0, 0

    def put(value: int, width_bits: int) -> None:
        nonlocal bits, count
        bits |= value << count
        count += width_bits

    put(0, 1)  # not small
    put(3, 2)  # U32 selector: 30 bits
    put(height - 1, 30)
    put(0, 3)  # no aspect-ratio shortcut
    put(3, 2)
    put(width - 1, 30)
    return b"\xff\x0a" + bits.to_bytes(16, "little")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_bomb(width: int, height: int) -> bytes:
    """A PNG whose valid IHDR claims a huge size, with a token IDAT: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


def png_with_late_exif(exif: Image.Exif) -> bytes:
    """A valid 2x2 PNG whose eXIf chunk comes after the image data."""
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    raw = b"".join(b"\0" + b"\x80" * 6 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"eXIf", exif.tobytes())
        + _png_chunk(b"IEND", b"")
    )


def write_video(
    path: Path,
    *,
    metadata: dict[str, str] | None = None,
    rotation: float | None = None,
    codec: str = "mpeg4",
    frames: int = 10,
    rate: int = 10,
    size: tuple[int, int] = (64, 48),
    faststart: bool = False,
    pixels: Callable[[int], np.ndarray] | None = None,
    container_format: str | None = None,
    movflags: str | None = None,
) -> Path:
    """A short video made with PyAV; ``rotation`` sets the display matrix (degrees CCW);
    ``faststart`` puts the index (moov) before the media data; ``pixels`` gives frame N's
    RGB array (default: a flat grey that brightens frame by frame)."""
    flags = [flag for flag in (movflags, "faststart" if faststart else None) if flag]
    options = {"movflags": "+".join(flags)} if flags else {}
    container = av.open(str(path), "w", format=container_format, options=options)
    container.metadata.update(metadata or {})
    stream = container.add_stream(codec, rate=rate)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    if rotation is not None:
        stream.set_display_rotation(rotation)
    for index in range(frames):
        rgb = (
            pixels(index)
            if pixels is not None
            else np.full((size[1], size[0], 3), index * 20 % 256, np.uint8)
        )
        for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


_TIFF_FORMATS = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 10: "ii"}


def _tiff_entry(tag: int, kind: int, values: Any) -> tuple[int, int, int, bytes]:
    if kind == 2:
        data = values.encode() + b"\0"
        return tag, kind, len(data), data
    if kind in (5, 10):
        fmt = "<" + _TIFF_FORMATS[kind]
        return tag, kind, len(values), b"".join(struct.pack(fmt, *v) for v in values)
    return tag, kind, len(values), struct.pack(f"<{len(values)}{_TIFF_FORMATS[kind]}", *values)


def _tiff_ifd(entries: list[tuple[int, int, int, bytes]], start: int) -> bytes:
    """One little-endian IFD at ``start``, its out-of-line values right after it."""
    entries = sorted(entries)
    data_offset = start + 2 + 12 * len(entries) + 4
    body, extra = bytearray(struct.pack("<H", len(entries))), bytearray()
    for tag, kind, count, data in entries:
        if len(data) <= 4:
            body += struct.pack("<HHI", tag, kind, count) + data.ljust(4, b"\0")
        else:
            if (data_offset + len(extra)) % 2:
                extra += b"\0"
            body += struct.pack("<HHII", tag, kind, count, data_offset + len(extra))
            extra += data
    return bytes(body + struct.pack("<I", 0) + extra)


def make_dng(width: int = 64, height: int = 48, orientation: int = 6) -> bytes:
    """A minimal uncompressed 16-bit Bayer DNG that LibRaw opens, with some EXIF."""
    pixels = bytes(width * height * 2)
    exif_entries = [
        _tiff_entry(0x829A, 5, [(1, 125)]),
        _tiff_entry(0x829D, 5, [(28, 10)]),
        _tiff_entry(0x8827, 3, [400]),
        _tiff_entry(0x9003, 2, "2021:07:04 10:20:30"),
        _tiff_entry(0x920A, 5, [(50, 1)]),
    ]

    def ifd0(exif_offset: int, strip_offset: int) -> list[tuple[int, int, int, bytes]]:
        identity = [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]
        return [
            _tiff_entry(254, 4, [0]),
            _tiff_entry(256, 4, [width]),
            _tiff_entry(257, 4, [height]),
            _tiff_entry(258, 3, [16]),
            _tiff_entry(259, 3, [1]),
            _tiff_entry(262, 3, [32803]),  # CFA
            _tiff_entry(271, 2, "Acme"),
            _tiff_entry(272, 2, "RawCam 1"),
            _tiff_entry(273, 4, [strip_offset]),
            _tiff_entry(274, 3, [orientation]),
            _tiff_entry(277, 3, [1]),
            _tiff_entry(278, 4, [height]),
            _tiff_entry(279, 4, [len(pixels)]),
            _tiff_entry(284, 3, [1]),
            _tiff_entry(33421, 3, [2, 2]),  # CFARepeatPatternDim
            _tiff_entry(33422, 1, [0, 1, 1, 2]),  # CFAPattern RGGB
            _tiff_entry(34665, 4, [exif_offset]),
            _tiff_entry(50706, 1, [1, 4, 0, 0]),  # DNGVersion
            _tiff_entry(50708, 2, "Acme RawCam 1"),  # UniqueCameraModel
            _tiff_entry(50721, 10, identity),  # ColorMatrix1
            _tiff_entry(50778, 3, [21]),  # CalibrationIlluminant1 = D65
        ]

    def even(offset: int) -> int:
        return offset + offset % 2

    exif_offset = even(8 + len(_tiff_ifd(ifd0(0, 0), 8)))
    exif_ifd = _tiff_ifd(exif_entries, exif_offset)
    strip_offset = even(exif_offset + len(exif_ifd))
    out = bytearray(b"II*\0" + struct.pack("<I", 8)) + _tiff_ifd(ifd0(exif_offset, strip_offset), 8)
    out = out.ljust(exif_offset, b"\0") + exif_ifd
    return bytes(out.ljust(strip_offset, b"\0") + pixels)


def xmp_packet(description: str = "", **properties: str) -> bytes:
    """An XMP packet with `properties` ("exif:GPSTimeStamp") as attributes, and optional
    rdf children (`description`: raw XML inside rdf:Description)."""
    attributes = " ".join(f'{name}="{value}"' for name, value in properties.items())
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:lr="http://ns.adobe.com/lightroom/1.0/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f"{attributes}>{description}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def iptc_segment(datasets: list[tuple[int, bytes]]) -> bytes:
    """A JPEG APP13 segment (Photoshop 3.0, resource 0x0404) with IIM record-2 datasets."""
    iim = b"\x1c\x01\x5a\x00\x03\x1b%G"  # envelope: UTF-8
    for dataset, value in datasets:
        iim += bytes([0x1C, 2, dataset]) + struct.pack(">H", len(value)) + value
    if len(iim) % 2:
        iim += b"\x00"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim))
    body = b"Photoshop 3.0\x00" + resource + iim
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def with_segment(jpeg: Path, segment: bytes) -> Path:
    """Insert a marker segment right after the JPEG's SOI."""
    data = jpeg.read_bytes()
    jpeg.write_bytes(data[:2] + segment + data[2:])
    return jpeg


def apple_maker_note(content_identifier: str) -> bytes:
    """An Apple MakerNote with only its ContentIdentifier (tag 0x0011)."""
    value = content_identifier.encode() + b"\x00"
    header = b"Apple iOS\x00\x00\x01MM" + struct.pack(">H", 1)
    offset = len(header) + 12 + 4
    entry = struct.pack(">HHII", 0x0011, 2, len(value), offset)
    return header + entry + b"\x00\x00\x00\x00" + value


def write_mov(path: Path, metadata: dict[str, str], frames: int = 3, rate: int = 10) -> Path:
    """A small QuickTime movie whose metadata goes in the Keys atom, as iPhones write it."""
    return write_video(
        path,
        metadata=metadata,
        frames=frames,
        rate=rate,
        container_format="mov",
        movflags="use_metadata_tags",
    )
