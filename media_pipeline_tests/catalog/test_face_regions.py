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


def test_a_region_naming_an_existing_person_joins_that_person(mp, instance, tmp_path) -> None:
    root = tmp_path / "tagged"
    root.mkdir()
    first = root / "obama3.jpg"
    shutil.copy(FACES / "obama3.jpg", first)
    _sidecar(first, ("Obama", 0.5, 0.5, 0.9, 0.9))
    mp("library", "add", "tagged", str(root))
    mp("run", "--select", "media_catalog")
    [person] = mp.json("people")
    mp("people", "name", str(person["id"]), "Barack Obama")  # the user renames the person

    # Another photo manager tagged the next photo in its own spelling.
    second = root / "obama_partial_face.jpg"
    shutil.copy(FACES / "obama_partial_face.jpg", second)
    _sidecar(second, ("  barack OBAMA ", 0.5, 0.5, 0.8, 0.8))
    mp("run", "--select", "media_catalog")
    [region] = mp.json("info", str(second))["faces"]
    assert (region["person_id"], region["person"]) == (person["id"], "Barack Obama")
    [obama] = mp.json("people")
    assert (obama["id"], obama["name"], obama["face_count"]) == (person["id"], "Barack Obama", 2)
