"""Face regions written by photo managers become named faces, through `run`, `info`, `people`."""

from __future__ import annotations

import shutil
from pathlib import Path

from media_pipeline_tests.corpus import FACES
from media_pipeline_tests.metadata.test_regions import RDF, mwg


def _sidecar(photo: Path, *regions: tuple[str, float, float, float, float]) -> None:
    packet = RDF.format(mwg(*regions))
    photo.with_name(photo.name + ".xmp").write_text(f"<?xpacket begin=''?>{packet}")


def test_named_regions_seed_people(mp, instance, tmp_path: Path) -> None:
    root = tmp_path / "tagged"
    root.mkdir()
    portrait = root / "obama3.jpg"
    shutil.copy(FACES / "obama3.jpg", portrait)
    _sidecar(portrait, ("Barack Obama", 0.5, 0.5, 0.9, 0.9))  # digiKam drew the face
    outside = root / "two_people.jpg"
    shutil.copy(FACES / "two_people.jpg", outside)
    _sidecar(outside, ("Nobody", 1.6, 0.5, 0.2, 0.2))  # a region outside the image
    mp("library", "add", "tagged", str(root))

    mp("run", "--select", "media_catalog")
    [region] = mp.json("info", str(portrait))["faces"]
    assert (region["person"], region["assigned_by"], region["model"]) == (
        "Barack Obama",
        "metadata",
        "metadata",
    )
    assert mp.json("info", str(outside))["faces"] == []

    mp("run", "--select", "media_catalog,thumbnails,face_detections")
    [face] = mp.json("info", str(portrait))["faces"]
    assert (face["person"], face["assigned_by"]) == ("Barack Obama", "metadata")
    assert face["model"] != "metadata"  # the detector's face took the region's name
    people = {person["name"]: person for person in mp.json("people")}
    assert people["Barack Obama"]["face_count"] == 1
    assert "Nobody" not in people
    assert mp.json("errors") == []
