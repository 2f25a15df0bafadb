"""Named face regions that photo managers write into XMP (the file's packet or its sidecar).

Two schemas cover digiKam, Lightroom, Picasa and Apple Photos exports:

- MWG regions (``mwg-rs:Regions``): ``mwg-rs:Name``, ``mwg-rs:Type`` "Face", and an
  ``mwg-rs:Area`` of ``stArea:x``/``y`` (the centre) and ``w``/``h``, normalised to 0..1;
- Microsoft Photo regions (``MPRI:Regions``): ``MPReg:PersonDisplayName`` and
  ``MPReg:Rectangle`` "x, y, w, h" (top-left corner, normalised).

Writers disagree on whether regions are relative to the image as stored or as shown (after
the EXIF orientation); the MWG ``AppliedToDimensions`` tells them apart when the orientation
swaps width and height: dimensions equal to the stored size mean the stored frame, and the
box is rotated into the upright one. Otherwise the region is taken as drawn on the image as
shown, which is what people tagged it on. A region that is not a face, has
no name, or does not lie inside the image (beyond a small rounding tolerance) is dropped:
metadata written by another program is a hint, never an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from media_pipeline.metadata.values import text

MWG_RS_NS = "http://www.metadataworkinggroup.com/schemas/regions/"
ST_AREA_NS = "http://ns.adobe.com/xmp/sType/Area#"
ST_DIM_NS = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
MP_NS = "http://ns.microsoft.com/photo/1.2/"
MP_REG_NS = "http://ns.microsoft.com/photo/1.2/t/Region#"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_TOLERANCE = 0.01  # writers round; a box 1% over the edge is still inside
MAX_REGIONS = 200


@dataclass(frozen=True)
class FaceRegion:
    """A named face: its box normalised to 0..1 in the stored image, top-left origin."""

    name: str
    left: float
    top: float
    right: float
    bottom: float
    applied_to: tuple[int, int] | None = None  # MWG AppliedToDimensions (w, h)

    def upright_box(
        self, width: int, height: int, orientation: int | None
    ) -> tuple[float, float, float, float]:
        """(x1, y1, x2, y2) in pixels of the image shown upright, from its stored size."""
        turned = (orientation or 1) >= 5
        upright_w, upright_h = (height, width) if turned else (width, height)
        stored_frame = turned and width != height and self.applied_to == (width, height)
        corners = [
            _orient(x, y, orientation or 1) if stored_frame else (x, y)
            for x in (self.left, self.right)
            for y in (self.top, self.bottom)
        ]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return (min(xs) * upright_w, min(ys) * upright_h, max(xs) * upright_w, max(ys) * upright_h)


def _orient(x: float, y: float, orientation: int) -> tuple[float, float]:
    """Where a normalised stored point lands once the image is shown upright."""
    return {
        1: (x, y),
        2: (1 - x, y),
        3: (1 - x, 1 - y),
        4: (x, 1 - y),
        5: (y, x),
        6: (1 - y, x),
        7: (1 - y, 1 - x),
        8: (y, 1 - x),
    }.get(orientation, (x, y))


def _number(value: Any) -> float | None:
    try:
        result = float(text(value) or "")
    except ValueError:
        return None
    return result if result == result else None  # NaN is no number


def _region(name: Any, left: float, top: float, width: float, height: float) -> FaceRegion | None:
    label = text(name)
    right, bottom = left + width, top + height
    inside = (
        left >= -_TOLERANCE
        and top >= -_TOLERANCE
        and right <= 1 + _TOLERANCE
        and bottom <= 1 + _TOLERANCE
    )
    if not label or width <= 0 or height <= 0 or not inside:
        return None
    return FaceRegion(label, _clip(left), _clip(top), _clip(right), _clip(bottom))


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _value(element: Any, namespace: str, name: str) -> Any:
    """A property of a struct, written as an attribute or as a child element."""
    qualified = f"{{{namespace}}}{name}"
    if qualified in element.attrib:
        return element.attrib[qualified]
    child = element.find(qualified)
    return child.text if child is not None else None


def _applied_to(regions: Any) -> tuple[int, int] | None:
    dimensions = next(regions.iter(f"{{{MWG_RS_NS}}}AppliedToDimensions"), None)
    if dimensions is None:
        return None
    size = [_number(_value(dimensions, ST_DIM_NS, key)) for key in ("w", "h")]
    if any(n is None or n <= 0 for n in size):
        return None
    return int(size[0]), int(size[1])  # type: ignore[arg-type]


def _mwg(root: Any) -> Iterator[FaceRegion]:
    for regions in root.iter(f"{{{MWG_RS_NS}}}Regions"):
        applied_to = _applied_to(regions)
        for item in regions.iter(f"{{{RDF_NS}}}li"):
            described = item.find(f"{{{RDF_NS}}}Description")
            region = described if described is not None else item
            kind = text(_value(region, MWG_RS_NS, "Type"))
            if kind is not None and kind.lower() != "face":
                continue
            area = region.find(f"{{{MWG_RS_NS}}}Area")
            if area is None:
                continue
            numbers = [_number(_value(area, ST_AREA_NS, key)) for key in ("x", "y", "w", "h")]
            if any(n is None for n in numbers):
                continue
            x, y, w, h = numbers  # type: ignore[misc]
            found = _region(_value(region, MWG_RS_NS, "Name"), x - w / 2, y - h / 2, w, h)
            if found:
                yield dataclasses.replace(found, applied_to=applied_to)


def _microsoft(root: Any) -> Iterator[FaceRegion]:
    for regions in root.iter(f"{{{MP_NS}}}RegionInfo"):
        for item in regions.iter(f"{{{RDF_NS}}}li"):
            described = item.find(f"{{{RDF_NS}}}Description")
            region = described if described is not None else item
            rectangle = text(_value(region, MP_REG_NS, "Rectangle"))
            parts = [_number(p) for p in (rectangle or "").split(",")]
            if len(parts) != 4 or any(p is None for p in parts):
                continue
            found = _region(_value(region, MP_REG_NS, "PersonDisplayName"), *parts)  # type: ignore[arg-type]
            if found:
                yield found


def face_regions(root: Any) -> list[FaceRegion]:
    """The named face regions of a parsed XMP packet (MWG first, then Microsoft's)."""
    if root is None:
        return []
    found: list[FaceRegion] = []
    for region in (*_mwg(root), *_microsoft(root)):
        if region not in found and len(found) < MAX_REGIONS:
            found.append(region)
    return found
