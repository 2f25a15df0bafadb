"""faces-lfw (../shared/corpus/faces-lfw, 10 people x 10 photos) through the real interface:
a library of copies in a home of its own, run with `media-pipeline run`, read back with
`info --json`. The labelled face of a photo is the one nearest its centre (LFW centres the
person its folder names); other faces are strangers at the edges."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.corpus import CORPUS

LFW = CORPUS / "faces-lfw"
FACE_ASSETS = "media_catalog,thumbnails,face_detections,person_recognition,face_clusters"


def lfw_photos() -> list[Path]:
    return sorted(LFW.glob("*/*.jpg"))


def copy_photos(photos: Iterable[Path], root: Path) -> None:
    for photo in photos:
        target = root / photo.parent.name / photo.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(photo, target)


@contextmanager
def lfw_home(tmp: Path, clip_model: Path) -> Iterator[MediaPipeline]:
    """The CLI against a home that lives as long as the block (for module-scoped runs)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MEDIA_PIPELINE_HOME", str(tmp / "home"))
        env.setenv("DAGSTER_HOME", str(tmp / "home" / "dagster"))
        env.setenv("MEDIA_PIPELINE_CLIP_MODEL", str(clip_model))
        env.setenv("MEDIA_PIPELINE_FACE_BACKEND", "dlib")
        env.delenv("MEDIA_PIPELINE_DATABASE_URL", raising=False)
        env.delenv("MEDIA_PIPELINE_FACE_MIN_FACES", raising=False)
        yield MediaPipeline()


def centre_faces(mp: MediaPipeline, root: Path) -> dict[Path, dict]:
    """Photo copy -> its labelled face (the one nearest the photo's centre), from `info`."""
    found = {}
    for photo in sorted(root.glob("*/*.jpg")):
        faces = mp.json("info", str(photo))["faces"]
        if faces:
            found[photo] = min(faces, key=lambda face: _off_centre(face["box"]))
    return found


def _off_centre(box: dict) -> float:
    x, y = (box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2
    return (x - 125) ** 2 + (y - 125) ** 2  # LFW photos are 250 x 250


def quality(faces: dict[Path, dict]) -> tuple[float, list[int], dict[str, float]]:
    """(ARI with faces in nobody as singletons, people of more than one identity, share of
    each identity's faces in its largest person)."""
    truth, predicted = [], []
    identities: dict[int, set[str]] = {}
    per_identity: dict[str, Counter] = {}
    for number, (photo, face) in enumerate(faces.items()):
        who, person = photo.parent.name, face["person_id"]
        truth.append(who)
        predicted.append(f"p{person}" if person is not None else f"alone{number}")
        per_identity.setdefault(who, Counter())[person] += 1
        if person is not None:
            identities.setdefault(person, set()).add(who)
    mixed = [person for person, who in identities.items() if len(who) > 1]
    together = {
        who: max((n for person, n in counts.items() if person is not None), default=0)
        / sum(counts.values())
        for who, counts in per_identity.items()
    }
    return adjusted_rand_score(truth, predicted), mixed, together
