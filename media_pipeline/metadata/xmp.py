"""Dates, GPS, captions, ratings and keywords from XMP: ``.xmp`` sidecars and embedded packets.

XMP is XML written by any tool and read from any file, so it is parsed with
defusedxml (no entity expansion, no external resources). Properties may be written
as attributes of ``rdf:Description`` or as child elements; both are read. Anything
unparsable yields an empty result: XMP is a fallback source, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from defusedxml import ElementTree

from media_pipeline.metadata.captions import hierarchy_leaves, keywords, rating
from media_pipeline.metadata.capture_time import (
    XMP_CREATE,
    XMP_CREATED,
    XMP_GPS_TIME,
    XMP_ORIGINAL,
    TimeCandidate,
    iso_candidate,
)
from media_pipeline.metadata.places import valid_coordinates
from media_pipeline.metadata.values import text

EXIF_NS = "http://ns.adobe.com/exif/1.0/"
XMP_NS = "http://ns.adobe.com/xap/1.0/"
PHOTOSHOP_NS = "http://ns.adobe.com/photoshop/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC_NS = "http://purl.org/dc/elements/1.1/"
LIGHTROOM_NS = "http://ns.adobe.com/lightroom/1.0/"

# (namespace, property, taken_at_source), in priority order
DATE_PROPERTIES: tuple[tuple[str, str, str], ...] = (
    (EXIF_NS, "DateTimeOriginal", XMP_ORIGINAL),
    (XMP_NS, "CreateDate", XMP_CREATE),
    (PHOTOSHOP_NS, "DateCreated", XMP_CREATED),
)

MAX_SIDECAR_BYTES = 16 * 1024 * 1024
# "41,13.218N" (degrees, decimal minutes), "41,13,13.08N" (d, m, s) or "41.2203N"
_XMP_COORDINATE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?(?:,(\d+(?:\.\d+)?))?\s*([NSEW])\s*$", re.I
)


@dataclass
class XmpFields:
    """Dates (in priority order) and position found in one XMP packet."""

    dates: list[TimeCandidate] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    gps_time: TimeCandidate | None = None  # exif:GPSTimeStamp, an instant in UTC
    description: str | None = None  # dc:description (camera boilerplate is filtered later)
    rating: int | None = None  # xmp:Rating, -1..5
    keywords: list[str] = field(default_factory=list)  # dc:subject, lr:hierarchicalSubject
    root: Any = field(default=None, compare=False, repr=False)  # the parsed packet


def xmp_coordinate(value: Any) -> float | None:
    """Degrees from an XMP GPS coordinate such as "41,13.218N"; None if malformed."""
    value = text(value)
    match = _XMP_COORDINATE.match(value) if value else None
    if not match:
        return None
    degrees = float(match[1]) + float(match[2] or 0) / 60 + float(match[3] or 0) / 3600
    return -degrees if match[4].upper() in ("S", "W") else degrees


def _packet_bytes(packet: bytes | str) -> bytes:
    """The XML of a packet without NUL padding or bytes around the document."""
    data = packet.encode("utf-8") if isinstance(packet, str) else bytes(packet)
    data = data.replace(b"\x00", b"")
    start = min(
        (index for index in (data.find(b"<?xpacket"), data.find(b"<x:xmpmeta"),
                             data.find(b"<rdf:RDF"), data.find(b"<?xml")) if index >= 0),
        default=0,
    )  # fmt: skip
    end = data.rfind(b">")
    return data[start : end + 1] if end >= start else data[start:]


def _property_values(root: Any, namespace: str, name: str) -> list[str]:
    """All values of one property: attributes first, then element text (or its rdf:li)."""
    qualified = f"{{{namespace}}}{name}"
    values = _attribute_values(root, namespace, name)
    for element in root.iter(qualified):
        value = text(element.text)
        if value is None:
            item = next(element.iter(f"{{{RDF_NS}}}li"), None)
            value = text(item.text) if item is not None else None
        if value is not None:
            values.append(value)
    return values


def _list_values(root: Any, namespace: str, name: str) -> list[str]:
    """Every item of a list property (rdf:Bag / rdf:Seq), or its single value."""
    values: list[str] = []
    for element in root.iter(f"{{{namespace}}}{name}"):
        items = [text(item.text) for item in element.iter(f"{{{RDF_NS}}}li")]
        values.extend(item for item in items if item)
        if not items and text(element.text):
            values.append(text(element.text))  # type: ignore[arg-type]
    values.extend(_attribute_values(root, namespace, name))
    return values


def _attribute_values(root: Any, namespace: str, name: str) -> list[str]:
    qualified = f"{{{namespace}}}{name}"
    return [element.attrib[qualified] for element in root.iter() if qualified in element.attrib]


def _gps_time(value: str) -> TimeCandidate | None:
    """exif:GPSDateTime is UTC by definition; an explicit offset is honoured."""
    candidate = iso_candidate(XMP_GPS_TIME, value)
    if candidate is None or candidate.wall is None:
        return None
    instant = candidate.wall - (candidate.offset or timedelta(0))
    return TimeCandidate(XMP_GPS_TIME, instant=instant)


def parse_xmp(packet: bytes | str | None) -> XmpFields:
    """Dates, GPS, caption, rating and keywords of an XMP packet (sidecar or embedded)."""
    fields = XmpFields()
    if not packet:
        return fields
    try:
        root = ElementTree.fromstring(_packet_bytes(packet))
    except Exception:  # malformed or hostile XML: XMP is only a fallback source
        return fields
    for namespace, name, source in DATE_PROPERTIES:
        for value in _property_values(root, namespace, name):
            candidate = iso_candidate(source, value)
            if candidate is not None:
                fields.dates.append(candidate)
                break
    latitudes = _property_values(root, EXIF_NS, "GPSLatitude")
    longitudes = _property_values(root, EXIF_NS, "GPSLongitude")
    if latitudes and longitudes:
        coordinates = valid_coordinates(xmp_coordinate(latitudes[0]), xmp_coordinate(longitudes[0]))
        if coordinates:
            fields.latitude, fields.longitude = coordinates
    # exiftool's XMP-exif:GPSDateTime is the property exif:GPSTimeStamp (a full date-time)
    gps_times = [
        *_property_values(root, EXIF_NS, "GPSTimeStamp"),
        *_property_values(root, EXIF_NS, "GPSDateTime"),
    ]
    fields.gps_time = next((c for v in gps_times if (c := _gps_time(v))), None)
    fields.description = next(iter(_property_values(root, DC_NS, "description")), None)
    fields.rating = next(
        (r for v in _property_values(root, XMP_NS, "Rating") if (r := rating(v)) is not None),
        None,
    )
    fields.keywords = keywords(
        _list_values(root, DC_NS, "subject"),
        hierarchy_leaves(_list_values(root, LIGHTROOM_NS, "hierarchicalSubject")),
    )
    fields.root = root
    return fields


def read_sidecar(path: str | None) -> XmpFields:
    """Parse an ``.xmp`` sidecar; a missing, unreadable or huge one counts as empty.

    A sidecar problem must not make the photo itself uncatalogable.
    """
    if not path:
        return XmpFields()
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SIDECAR_BYTES + 1)
    except OSError:
        return XmpFields()
    if len(data) > MAX_SIDECAR_BYTES:
        return XmpFields()
    return parse_xmp(data)
