"""Face backends for the tests: dlib with its PyPI weights, and an insightface pack made of the
real SCRFD detector (face_samples/fixtures/) and a tiny recognizer with ArcFace's shapes
(face_samples/standins.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from face_samples.labels import label, photos
from face_samples.standins import preview, standin_pack
from media_pipeline.faces.detect import FaceSettings, analyse_image, load_backend


@pytest.fixture(scope="session")
def insightface_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local insightface model folder, as a user points MEDIA_PIPELINE_FACE_MODEL at."""
    return standin_pack(tmp_path_factory.mktemp("insightface-pack"))


@dataclass(frozen=True)
class LabelledFace:
    photo: Path
    person: str
    box: tuple[float, float, float, float]
    embedding: np.ndarray


@pytest.fixture(scope="session")
def dlib_faces() -> list[LabelledFace]:
    """Every face dlib finds in the labelled corpus, with who it is."""
    settings = FaceSettings(backend="dlib")
    backend = load_backend(settings)
    found = []
    for photo in photos():
        image = preview(photo)
        faces, _ = analyse_image(image, backend, settings)
        for face in faces:
            centre = (face.box[0] + face.box[2]) / 2 / image.width
            found.append(LabelledFace(photo, label(photo, centre), face.box, face.embedding))
    return found
