"""People on faces-lfw through `media-pipeline run` (dlib, weights from PyPI): no person
mixes two identities; re-runs keep ids; a changed grouping regroups unnamed people once,
keeping names, merges and faces placed by hand; suggested merges. Detection runs once for the
module (~100 photos)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline.definitions import defs
from media_pipeline.runtime.instance import get_instance
from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.faces.lfw import (
    FACE_ASSETS,
    centre_faces,
    copy_photos,
    lfw_home,
    lfw_photos,
    quality,
)


@pytest.fixture(scope="module")
def lfw(tmp_path_factory: pytest.TempPathFactory, tiny_clip_dir: Path) -> Iterator:
    tmp = tmp_path_factory.mktemp("lfw")
    root = tmp / "lfw"
    copy_photos(lfw_photos(), root)
    with lfw_home(tmp, tiny_clip_dir) as mp:
        mp("library", "add", "lfw", str(root))
        mp("run", "--select", FACE_ASSETS)
        yield mp, root


def _clusters_metadata() -> dict:
    with get_instance() as instance:
        [record] = instance.fetch_materializations(dg.AssetKey("face_clusters"), limit=1).records
        return record.asset_materialization.metadata


def _cluster_in_process(config: dict) -> None:
    with get_instance() as instance:
        job = defs.resolve_job_def("collection_pipeline")
        run_config = {"ops": {"face_clusters": {"config": config}}}
        assert job.execute_in_process(run_config=run_config, instance=instance).success


def test_lfw_people_never_mix_identities(lfw: tuple[MediaPipeline, Path]) -> None:
    mp, root = lfw
    faces = centre_faces(mp, root)
    assert len(faces) == 100
    ari, mixed, together = quality(faces)
    assert mixed == []
    assert ari >= 0.97, ari
    assert min(together.values()) >= 0.9, together
    people = mp.json("people")
    assert 10 <= len(people) <= 12
    metadata = _clusters_metadata()
    assert metadata["regrouped"].value is False  # a new catalog: nothing to regroup
    assert metadata["people_faces"].value.count("data:image/jpeg;base64,") >= 10


def test_lfw_regrouping_keeps_names_merges_and_hand_placements(
    lfw: tuple[MediaPipeline, Path],
) -> None:
    mp, root = lfw
    before = mp.json("people")
    mp("run", "--select", "person_recognition,face_clusters")
    assert mp.json("people") == before  # ids and faces stay across re-runs
    faces = centre_faces(mp, root)
    person_of = {photo.parent.name: face["person_id"] for photo, face in faces.items()}
    bush, powell = person_of["George_W_Bush"], person_of["Colin_Powell"]
    mp("people", "name", str(bush), "George W. Bush")
    blair_photo = root / "Tony_Blair" / "Tony_Blair_0001.jpg"
    hand_placed = faces[blair_photo]["id"]
    mp("people", "move", str(hand_placed), str(powell))  # the user's word, right or wrong

    # A grouping with another fingerprint (here: a much tighter cut) regroups the unnamed.
    _cluster_in_process({"max_distance": 0.3})
    assert _clusters_metadata()["regrouped"].value is True
    split = centre_faces(mp, root)
    assert split[blair_photo]["person_id"] == powell
    in_bush = {photo for photo, face in faces.items() if face["person_id"] == bush}
    assert {photo for photo, face in split.items() if face["person_id"] == bush} == in_bush
    assert len(mp.json("people")) > len(before)  # unnamed identities broke into pieces

    # The pieces of one identity are suggested for merging, and only those.
    suggestions = mp.json("people", "suggestions")
    assert suggestions
    identity = {f["person_id"]: p.parent.name for p, f in split.items() if p != blair_photo}
    for pair in suggestions:
        assert identity.get(pair["keep"]) == identity.get(pair["other"]), pair
        assert 0 < pair["distance"] <= 0.44
    assert "suggested merge" in _clusters_metadata()["people_faces"].value
    table = mp("people", "suggestions").output
    assert f"{suggestions[0]['distance']:.3f}" in table and "people merge KEEP OTHER" in table
    keep, other = suggestions[0]["keep"], suggestions[0]["other"]
    mp("people", "merge", str(keep), str(other))
    merged = {photo for photo, face in split.items() if face["person_id"] in (keep, other)}

    # Back to the default grouping: regrouped once, automatically, by the next run.
    mp("run", "--select", "person_recognition,face_clusters")
    assert _clusters_metadata()["regrouped"].value is True
    after = centre_faces(mp, root)
    assert after[blair_photo]["person_id"] == powell and after[blair_photo]["id"] == hand_placed
    assert all(after[photo]["person_id"] == keep for photo in merged)  # the merge holds
    names = {person["id"]: person["name"] for person in mp.json("people")}
    assert names[bush] == "George W. Bush"
    _, mixed, together = quality(
        {photo: face for photo, face in after.items() if photo != blair_photo}
    )
    assert mixed == []
    # Identities other than the merged one are whole again, under their old ids.
    merged_identity = identity[keep]
    old_ids = {person["id"] for person in before}
    for photo, face in after.items():
        if photo.parent.name not in (merged_identity, "Tony_Blair"):
            assert face["person_id"] in old_ids, (photo, face)
    assert all(share >= 0.9 for who, share in together.items() if who != merged_identity)
    mp("run", "--select", "face_clusters")
    assert _clusters_metadata()["regrouped"].value is False  # once
