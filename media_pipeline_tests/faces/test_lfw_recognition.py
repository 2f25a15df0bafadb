"""Recognition on faces-lfw through `media-pipeline run`: people found on half the photos,
eight of the ten named, then the other half added: the named are recognised, the two people
nobody named are never given a name. Detection runs once for the module (100 photos)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from media_pipeline_tests.faces.lfw import (
    FACE_ASSETS,
    centre_faces,
    copy_photos,
    lfw_home,
    lfw_photos,
    quality,
)

NEVER_NAMED = {"Hugo_Chavez", "Tony_Blair"}


def _half(first: bool) -> list[Path]:
    """Photos 1-5 (first) or 6-10 of every identity."""
    return [photo for photo in lfw_photos() if (int(photo.stem[-4:]) <= 5) == first]


@pytest.fixture(scope="module")
def named_then_added(tmp_path_factory: pytest.TempPathFactory, tiny_clip_dir: Path) -> Iterator:
    tmp = tmp_path_factory.mktemp("lfw-recognition")
    root = tmp / "lfw"
    copy_photos(_half(first=True), root)
    with lfw_home(tmp, tiny_clip_dir) as mp:
        mp("library", "add", "lfw", str(root))
        mp("run", "--select", FACE_ASSETS)
        first = centre_faces(mp, root)
        named = {}
        for who in sorted({photo.parent.name for photo in first} - NEVER_NAMED):
            people = Counter(f["person_id"] for p, f in first.items() if p.parent.name == who)
            person = people.most_common(1)[0][0]
            mp("people", "name", str(person), who.replace("_", " "))
            named[who] = person
        copy_photos(_half(first=False), root)
        mp("run", "--select", FACE_ASSETS)
        yield mp, root, first, named


def test_the_first_half_makes_pure_people(named_then_added) -> None:
    _, _, first, named = named_then_added
    assert len(first) == 50
    _, mixed, together = quality(first)
    assert mixed == [] and min(together.values()) >= 0.8, together
    assert len(set(named.values())) == len(named) == 8


def test_the_other_half_is_recognised_and_the_never_named_stay_unknown(
    named_then_added,
) -> None:
    mp, root, first, named = named_then_added
    second = {photo: face for photo, face in centre_faces(mp, root).items() if photo not in first}
    assert len(second) == 50
    names = {person["id"]: person["name"] for person in mp.json("people")}
    right = wrong = 0
    for photo, face in second.items():
        who = photo.parent.name
        if who in NEVER_NAMED:
            assert face["person_id"] is None or names[face["person_id"]] is None, (photo, face)
            continue
        if face["person_id"] == named[who]:
            right += 1
            if face["assigned_by"] == "recognition":
                assert face["certainty"] >= 0.6 and face["person"] == who.replace("_", " ")
        elif face["person_id"] is not None:
            wrong += 1
    assert right >= 0.95 * 40 and wrong == 0, (right, wrong)
    by = Counter(face["assigned_by"] for face in second.values())
    assert by["recognition"] >= 0.9 * 40, by  # recognition, not clustering, found them
