from __future__ import annotations

import io
import zlib

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from media_pipeline.metadata.png import png_metadata
from media_pipeline_tests.metadata.samples import make_exif, png_with_late_exif

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def test_exif_after_image_data() -> None:
    exif = make_exif({0x010F: "Acme"}, {0x9003: "2023:01:02 15:30:45"})
    data = png_with_late_exif(exif)
    exif_bytes, xmp = png_metadata(io.BytesIO(data))
    assert xmp is None
    loaded = Image.Exif()
    loaded.load(exif_bytes)
    assert loaded[0x010F] == "Acme"
    assert loaded.get_ifd(0x8769)[0x9003] == "2023:01:02 15:30:45"


def test_xmp_itxt_plain_and_compressed() -> None:
    for compressed in (False, True):
        info = PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=compressed)
        info.add_itxt("Comment", "not xmp")
        buffer = io.BytesIO()
        Image.new("RGB", (2, 2)).save(buffer, "PNG", pnginfo=info)
        assert png_metadata(buffer) == (None, XMP)


def test_not_png_or_damaged() -> None:
    assert png_metadata(io.BytesIO(b"GIF89a")) == (None, None)
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x05iTXtXML:c"
    assert png_metadata(io.BytesIO(broken)) == (None, None)
    bad_zlib = (
        b"\x89PNG\r\n\x1a\n"
        + len(b"XML:com.adobe.xmp\0\x01\x00\0\0garbage").to_bytes(4, "big")
        + b"iTXtXML:com.adobe.xmp\0\x01\x00\0\0garbage"
        + zlib.crc32(b"").to_bytes(4, "big")
    )
    assert png_metadata(io.BytesIO(bad_zlib)) == (None, None)
