"""People through the real interface: `media-pipeline run` on a Dagster instance, then
`people`, `people name`, `people merge`, `people move` and `info`, on the labelled corpus."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
from PIL import Image

from face_samples.labels import PEOPLE, SEVERAL, SINGLE, TRAIN, UNKNOWN
from face_samples.standins import preview
from media_pipeline import settings
from media_pipeline.catalog.people import merge_people
from media_pipeline.catalog.store import open_catalog
from media_pipeline.definitions import defs
from media_pipeline.faces.cluster import group_faces
from media_pipeline_tests.corpus import FACES
from media_pipeline_tests.postgres import HOST, PORT, USER

NAMES = {
    "alex_lacamoire": "Alex Lacamoire",
    "biden": "Joe Biden",
    "kit_harington": "Kit Harington",
    "obama": "Barack Obama",
    "rose_leslie": "Rose Leslie",
}
SUMMER = datetime(2024, 7, 14, 12, 0).timestamp()


def _latest(instance: dg.DagsterInstance, asset: str) -> dict:
    [record] = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return record.asset_materialization.metadata


def _copy(source: Path, target: Path) -> None:
    """Copied with an XMP sidecar dating them on one summer day (the photos carry no dates,
    and a file dated only by its mtime is never in an album): one album."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    os.utime(target, (SUMMER, SUMMER))
    day = datetime.fromtimestamp(SUMMER).strftime("%Y-%m-%dT%H:%M:%S")
    target.with_name(f"{target.name}.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreateDate="{day}"/></rdf:RDF></x:xmpmeta>'
    )


def _expected(path: Path, box: dict, width: int) -> str:
    if path.name in SINGLE:
        return SINGLE[path.name]
    centre = (box["x1"] + box["x2"]) / 2 / width
    return next(who for low, high, who in SEVERAL[path.name] if low <= centre < high)


def _upright_width(path: Path) -> int:
    with Image.open(path) as image:
        orientation = image.getexif().get(0x0112, 1)
        return image.height if orientation >= 5 else image.width


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def people_catalog(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The catalog on SQLite (the default) or a fresh PostgreSQL database; people of 2 faces."""
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres_database")
        url = f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{database}"
        monkeypatch.setenv("MEDIA_PIPELINE_DATABASE_URL", url)
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_MIN_FACES", "2")
    return request.param


@pytest.fixture
def faces_library(tmp_path: Path) -> Path:
    root = tmp_path / "family"
    for photo in sorted(TRAIN.rglob("*.jp*g")):
        _copy(photo, root / "train" / photo.parent.name / photo.name)
    return root


@pytest.mark.usefixtures("people_catalog")
def test_people_found_named_recognised_and_kept(mp, instance, faces_library: Path) -> None:
    mp("library", "add", "family", str(faces_library))
    mp("run")

    detections = _latest(instance, "face_detections")
    assert detections["backend"].value == "dlib" and detections["files_scanned"].value == 9
    assert detections["failed"].value == 0 and "new_faces" in detections
    # Two photos each of four people make four people; Alex's single photo stays unknown.
    people = mp.json("people")
    assert len(people) == 4 and all(person["face_count"] == 2 for person in people)
    assert all(person["name"] is None for person in people)
    who: dict[int, str] = {}
    for person in people:
        folder = Path(person["cover_face"]["file"]).parent.name
        assert Path(person["cover_face"]["crop_path"]).is_file()
        who[person["id"]] = folder
    assert sorted(who.values()) == sorted(set(PEOPLE) - {"alex_lacamoire"})
    clusters = _latest(instance, "face_clusters")
    assert clusters["new_people"].value == 4 and clusters["unknown_faces"].value == 1
    assert clusters["people_faces"].value.count("data:image/jpeg;base64,") == 4  # in the UI

    # info: boxes in the upright original's pixels, with the person.
    obama = faces_library / "train" / "obama" / "obama.jpg"
    [face] = [f for f in mp.json("info", str(obama))["faces"] if f["person_id"] is not None]
    with Image.open(obama) as image:
        width, height = image.size
    assert 0 <= face["box"]["x1"] < face["box"]["x2"] <= width
    assert 0 <= face["box"]["y1"] < face["box"]["y2"] <= height
    assert face["box"]["x2"] - face["box"]["x1"] > width / 5  # a portrait: a big face
    assert who[face["person_id"]] == "obama" and face["assigned_by"] == "cluster"

    for person_id, folder in who.items():
        mp("people", "name", str(person_id), NAMES[folder])
    assert mp("people", "name", "999", "Nobody", ok=False).exit_code != 0

    # New photos: the test set and the top folder (a person nobody trained, a girl in the
    # background of another, a partly hidden face).
    added = [path for path in FACES.rglob("*") if path.suffix in {".jpg", ".jpeg", ".png"}]
    added = [path for path in added if TRAIN not in path.parents]
    for path in added:
        _copy(path, faces_library / "new" / path.name)
    mp("run")

    recognition = _latest(instance, "person_recognition")
    assert recognition["named_people"].value == 4 and recognition["recognised"].value >= 9
    ids = {folder: person_id for person_id, folder in who.items()}
    for path in added:
        copy = faces_library / "new" / path.name
        faces = mp.json("info", str(copy))["faces"]
        assert faces, path.name
        for face in faces:
            expected = _expected(path, face["box"], _upright_width(copy))
            if expected in UNKNOWN:
                assert face["person_id"] is None, (path.name, face)
            elif expected == "alex_lacamoire":
                # Nobody named Alex: his three faces now form a person of their own.
                assert face["person_id"] not in who and face["assigned_by"] == "cluster"
            else:
                assert face["person_id"] == ids[expected], (path.name, face)
                assert face["person"] == NAMES[expected]
                assert face["assigned_by"] == "recognition" and face["certainty"] >= 0.6

    # Ids and names are kept; Alex is new; the album title names the people in it.
    people = {person["id"]: person for person in mp.json("people")}
    for person_id, folder in who.items():
        assert people[person_id]["name"] == NAMES[folder]
    [alex] = [person for person in people.values() if person["id"] not in who]
    assert alex["face_count"] == 3 and alex["name"] is None
    rose = mp.json("people", "photos", str(ids["rose_leslie"]))
    assert sorted(Path(path).name for path in rose) == ["img1.jpg", "img2.jpg", "kit_with_rose.jpg"]
    assert mp("people", "photos", "999", ok=False).exit_code != 0
    [album] = mp.json("albums")
    assert "with Barack Obama" in album["title"] and album["title"].endswith("14 July 2024")

    # Merge and move: the user's word is final, a full re-clustering does not undo it.
    mp("people", "merge", str(ids["obama"]), str(alex["id"]))
    people = {person["id"]: person for person in mp.json("people")}
    assert alex["id"] not in people and people[ids["obama"]]["name"] == "Barack Obama"
    partial = faces_library / "new" / "obama_partial_face.jpg"
    [face] = mp.json("info", str(partial))["faces"]
    mp("people", "move", str(face["id"]), "none")
    lacamoire = faces_library / "new" / "alex-lacamoire.png"
    [moved] = mp.json("info", str(lacamoire))["faces"]
    mp("people", "move", str(moved["id"]), str(ids["biden"]))
    result = mp("run", "--select", "person_recognition,face_clusters", ok=True)
    assert "face_clusters" in result.output
    [face] = mp.json("info", str(partial))["faces"]
    assert face["person_id"] is None and face["assigned_by"] == "user"
    [moved] = mp.json("info", str(lacamoire))["faces"]
    assert moved["person_id"] == ids["biden"] and moved["assigned_by"] == "user"

    # A full re-clustering (the launchpad's `recluster: true`) regroups unnamed people only.
    before = mp.json("people")
    job = defs.resolve_job_def("collection_pipeline")
    config = {"ops": {"face_clusters": {"config": {"recluster": True, "min_faces": 2}}}}
    assert job.execute_in_process(run_config=config, instance=instance).success
    assert mp.json("people") == before
    [moved] = mp.json("info", str(lacamoire))["faces"]
    assert moved["person_id"] == ids["biden"] and moved["assigned_by"] == "user"


def test_a_preview_that_cannot_be_read_is_a_faces_error_and_the_run_goes_on(
    mp, instance, tmp_path: Path
) -> None:
    root = tmp_path / "photos"
    _copy(FACES / "two_people.jpg", root / "two_people.jpg")
    _copy(FACES / "obama3.jpg", root / "obama3.jpg")
    mp("library", "add", "photos", str(root))
    mp("run", "--select", "media_catalog,thumbnails")
    broken = mp.json("info", str(root / "obama3.jpg"))["preview_path"]
    Path(broken).write_bytes(b"not a jpeg")

    mp("run")

    detections = _latest(instance, "face_detections")
    assert detections["files_scanned"].value == 1 and detections["failed"].value == 1
    [error] = [error for error in mp.json("errors") if error["stage"] == "faces"]
    assert error["path"].endswith("obama3.jpg") and error["error"]
    assert len(mp.json("info", str(root / "two_people.jpg"))["faces"]) == 2

    # Repaired (here: the preview written again), `errors --retry` finds the face and the
    # ledger forgets the failure.
    preview(FACES / "obama3.jpg").save(broken, quality=80)
    mp("errors", "--retry")
    assert mp.json("errors") == []
    assert len(mp.json("info", str(root / "obama3.jpg"))["faces"]) == 1


def test_a_new_backend_detects_again_and_keeps_the_names(
    mp, instance, tmp_path: Path, insightface_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_MIN_FACES", "2")
    root = tmp_path / "photos"
    for name in ("two_people.jpg", "obama3.jpg"):
        _copy(FACES / name, root / name)
    _copy(FACES / "knn_examples" / "test" / "obama_and_biden.jpg", root / "obama_and_biden.jpg")
    mp("library", "add", "photos", str(root))
    mp("run")
    people = mp.json("people")
    assert sorted(person["face_count"] for person in people) == [2, 3]
    for person in people:
        mp("people", "name", str(person["id"]), "Obama" if person["face_count"] == 3 else "Biden")
    before = mp.json("info", str(root / "two_people.jpg"))["faces"]
    assert {face["person"] for face in before} == {"Obama", "Biden"}

    monkeypatch.setenv("MEDIA_PIPELINE_FACE_BACKEND", "insightface")
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_MODEL", str(insightface_pack))
    mp("run")

    detections = _latest(instance, "face_detections")
    assert detections["backend"].value == "insightface" and detections["files_scanned"].value == 3
    after = mp.json("info", str(root / "two_people.jpg"))["faces"]
    assert {face["model"] for face in after} == {str(insightface_pack)}
    assert {face["id"] for face in after}.isdisjoint(face["id"] for face in before)
    # The same people, found by the other detector, keep their names.
    assert {face["person"] for face in after} == {"Obama", "Biden"}
    models = _latest(instance, "face_model")
    assert models["face_backend"].text == "insightface"


def test_the_whole_faces_corpus_at_once_keeps_kit_and_rose_apart(
    mp, instance, tmp_path: Path
) -> None:
    """The library a new user would start with: every photo of ../shared/corpus/faces (train,
    test and the loose ones) in one run, with the default of 3 faces a person."""
    root = tmp_path / "faces"
    photos = [path for path in FACES.rglob("*") if path.suffix in {".jpg", ".jpeg", ".png"}]
    for path in photos:
        _copy(path, root / path.relative_to(FACES))
    mp("library", "add", "faces", str(root))
    mp("run", "--select", "media_catalog,thumbnails,face_detections,face_clusters")

    identities: dict[int, set[str]] = {}
    for path in photos:
        copy = root / path.relative_to(FACES)
        for face in mp.json("info", str(copy))["faces"]:
            if TRAIN in path.parents:
                who = path.parent.name
            else:
                who = _expected(path, face["box"], _upright_width(copy))
            if face["person_id"] is not None:
                identities.setdefault(face["person_id"], set()).add(who)
    assert all(len(who) == 1 for who in identities.values()), identities  # no mixed person
    people = {next(iter(who)): person for person, who in identities.items()}
    assert {"kit_harington", "rose_leslie", "obama", "biden"} <= set(people)
    assert people["kit_harington"] != people["rose_leslie"]
    assert _latest(instance, "face_clusters")["people"].value == len(identities)


@pytest.mark.usefixtures("people_catalog")
def test_a_merge_during_a_regrouping_waits_for_it(
    mp, instance, faces_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The regrouping holds the catalog writer's lock over persons and faces from releasing
    the faces until they are placed again: a user's merge in between waits, then applies to
    the regrouped people (without the lock it would delete a person whose id a new group is
    about to take over)."""
    mp("library", "add", "family", str(faces_library))
    mp("run")
    counts = {person["id"]: person["face_count"] for person in mp.json("people")}
    keep, other = sorted(counts)[:2]

    inside, go = threading.Event(), threading.Event()

    def paused(*args, **kwargs):  # the regrouping, between release and placement
        inside.set()
        go.wait(120)
        return group_faces(*args, **kwargs)

    monkeypatch.setattr("media_pipeline.faces.assets.group_faces", paused)
    job = defs.resolve_job_def("collection_pipeline")
    config = {"ops": {"face_clusters": {"config": {"recluster": True, "min_faces": 2}}}}
    done: dict[str, object] = {}
    regroup = threading.Thread(
        target=lambda: done.update(
            run=job.execute_in_process(
                run_config=config,
                instance=instance,
                asset_selection=[dg.AssetKey("face_clusters")],
                raise_on_error=False,
            )
        )
    )
    merge = threading.Thread(
        target=lambda: done.update(
            moved=merge_people(open_catalog(settings.database_url()), keep, other)
        )
    )
    regroup.start()
    assert inside.wait(120)
    merge.start()
    merge.join(3)
    waited = merge.is_alive()
    go.set()
    regroup.join(120)
    merge.join(60)
    assert waited, "the merge landed in the middle of the regrouping"
    assert done["run"].success
    assert done["moved"] == counts[other]
    people = {person["id"]: person["face_count"] for person in mp.json("people")}
    assert other not in people and people[keep] == counts[keep] + counts[other]
