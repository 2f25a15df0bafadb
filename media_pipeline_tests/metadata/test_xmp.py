from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from PIL import Image

from media_pipeline.metadata.capture_time import TimeCandidate
from media_pipeline.metadata.xmp import (
    MAX_SIDECAR_BYTES,
    XmpFields,
    parse_xmp,
    read_sidecar,
    xmp_coordinate,
)

ATTRIBUTES = (
    b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
   xmp:CreateDate="2023-01-02T15:30:45+01:00"
   photoshop:DateCreated="2023-01-02"
   exif:GPSLatitude="41,13.218N"
   exif:GPSLongitude="96,4.2975W"/>
 </rdf:RDF>
</x:xmpmeta>
"""
    + b" " * 200
    + b'\n<?xpacket end="w"?>\x00\x00'
)

ELEMENTS = b"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/">
   <exif:DateTimeOriginal>2021-06-30T08:00:00.5Z</exif:DateTimeOriginal>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>not a date</xmp:CreateDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"""


def test_attribute_form_with_offset_and_gps() -> None:
    fields = parse_xmp(ATTRIBUTES)
    assert fields.dates == [
        TimeCandidate(
            "xmp:CreateDate", wall=datetime(2023, 1, 2, 15, 30, 45), offset=timedelta(hours=1)
        ),
        TimeCandidate("xmp:DateCreated", wall=datetime(2023, 1, 2)),
    ]
    assert (fields.latitude, fields.longitude) == (41.2203, -96.071625)


def test_element_form_in_priority_order() -> None:
    fields = parse_xmp(ELEMENTS.decode())
    assert fields.dates == [
        TimeCandidate(
            "xmp:DateTimeOriginal", wall=datetime(2021, 6, 30, 8, 0, 0, 500000), offset=timedelta(0)
        )
    ]
    assert fields.latitude is None


@pytest.mark.parametrize(
    "packet",
    [
        None,
        b"",
        b"<x:xmpmeta",
        b"not xml at all",
        b"\x00" * 100,
        # entity expansion ("billion laughs") is refused, not expanded
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>',
        # external entities are refused
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_bad_packets_give_nothing(packet) -> None:
    assert parse_xmp(packet) == XmpFields()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("41,13.218N", 41.2203),
        ("96,4.2975W", -96.071625),
        ("41,13,13.08N", 41.2203),
        ("33.5S", -33.5),
        ("10,30E", 10.5),
        ("41.2203", None),
        ("N", None),
        ("", None),
        (None, None),
    ],
)
def test_xmp_coordinate(value, expected) -> None:
    result = xmp_coordinate(value)
    assert (round(result, 6) if result is not None else None) == expected


def test_embedded_packet_of_a_real_file(assets) -> None:
    with Image.open(assets / "metadata/gps-position/thompson-springs.jpg") as image:
        fields = parse_xmp(image.info["xmp"])
    wall = datetime(2022, 1, 10, 15, 15, 44, 310000)
    assert fields.dates == [
        TimeCandidate("xmp:CreateDate", wall=wall),
        TimeCandidate("xmp:DateCreated", wall=wall),
    ]


def test_sidecar_reading(tmp_path) -> None:
    sidecar = tmp_path / "IMG_1.jpg.xmp"
    sidecar.write_bytes(ATTRIBUTES)
    assert read_sidecar(str(sidecar)) == parse_xmp(ATTRIBUTES)
    assert read_sidecar(None) == XmpFields()
    assert read_sidecar(str(tmp_path / "missing.xmp")) == XmpFields()
    assert read_sidecar(str(tmp_path)) == XmpFields()  # a directory
    huge = tmp_path / "huge.xmp"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_SIDECAR_BYTES + 1)
    assert read_sidecar(str(huge)) == XmpFields()
