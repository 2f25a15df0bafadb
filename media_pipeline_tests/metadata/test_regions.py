from __future__ import annotations

import pytest
from defusedxml import ElementTree

from media_pipeline.metadata.regions import FaceRegion, face_regions

RDF = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
    'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" '
    'xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" '
    'xmlns:MP="http://ns.microsoft.com/photo/1.2/" '
    'xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" '
    'xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#">{}</rdf:Description>'
    "</rdf:RDF></x:xmpmeta>"
)


def mwg(*regions: tuple[str, float, float, float, float], applied: str = "") -> str:
    """digiKam's layout: attributes on rdf:Description items; (name, x, y, w, h) centred."""
    items = "".join(
        f'<rdf:li><rdf:Description mwg-rs:Name="{name}" mwg-rs:Type="Face"><mwg-rs:Area '
        f'stArea:x="{x}" stArea:y="{y}" stArea:w="{w}" stArea:h="{h}" '
        'stArea:unit="normalized"/></rdf:Description></rdf:li>'
        for name, x, y, w, h in regions
    )
    return (
        f'<mwg-rs:Regions rdf:parseType="Resource">{applied}<mwg-rs:RegionList><rdf:Bag>'
        f"{items}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>"
    )


def parse(body: str) -> list[FaceRegion]:
    return face_regions(ElementTree.fromstring(RDF.format(body)))


def test_mwg_regions() -> None:
    [anna] = parse(mwg(("Anna", 0.5, 0.5, 0.2, 0.4)))
    assert anna.name == "Anna"
    assert anna.upright_box(1000, 500, 1) == pytest.approx((400, 150, 600, 350))


def test_microsoft_regions_as_elements() -> None:
    body = (
        "<MP:RegionInfo rdf:parseType='Resource'><MPRI:Regions><rdf:Bag><rdf:li "
        "rdf:parseType='Resource'><MPReg:PersonDisplayName>Marco</MPReg:PersonDisplayName>"
        "<MPReg:Rectangle>0.25, 0.5, 0.25, 0.25</MPReg:Rectangle></rdf:li></rdf:Bag>"
        "</MPRI:Regions></MP:RegionInfo>"
    )
    [marco] = parse(body)
    assert (marco.name, marco.upright_box(400, 400, 1)) == ("Marco", (100, 200, 200, 300))


def test_unnamed_non_face_and_outside_regions_are_dropped() -> None:
    pet = mwg(("Rex", 0.5, 0.5, 0.1, 0.1)).replace('mwg-rs:Type="Face"', 'mwg-rs:Type="Pet"')
    assert parse(pet) == []
    assert parse(mwg(("", 0.5, 0.5, 0.1, 0.1))) == []
    assert parse(mwg(("Out", 1.4, 0.5, 0.2, 0.2), ("Flat", 0.5, 0.5, 0.0, 0.2))) == []
    assert face_regions(None) == []


def test_a_region_drawn_on_the_stored_frame_is_turned_upright() -> None:
    stored = '<mwg-rs:AppliedToDimensions stDim:w="640" stDim:h="480" stDim:unit="pixel"/>'
    [turned] = parse(mwg(("Anna", 0.5, 0.5, 0.2, 0.3), applied=stored))
    # orientation 6: the stored 640x480 image is shown 480x640, turned a quarter clockwise
    assert turned.upright_box(640, 480, 6) == pytest.approx((168, 256, 312, 384))
    shown = stored.replace('"640"', '"X"').replace('"480"', '"640"').replace('"X"', '"480"')
    [drawn] = parse(mwg(("Anna", 0.5, 0.5, 0.2, 0.3), applied=shown))
    assert drawn.upright_box(640, 480, 6) == pytest.approx((192, 224, 288, 416))  # as drawn
