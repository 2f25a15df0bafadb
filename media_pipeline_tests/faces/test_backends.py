"""The two real backends on real photos: dlib with its PyPI weights, insightface through
FaceAnalysis on a local pack (the real SCRFD detector and a tiny ArcFace-shaped recognizer)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from face_samples.labels import PEOPLE, TRAIN
from face_samples.standins import SCRFD, SOLVAY, preview
from media_pipeline.faces.backends import FaceBackendError, InsightFaceBackend
from media_pipeline.faces.detect import FaceSettings, analyse_image, load_backend
from media_pipeline_tests.corpus import FACES
from media_pipeline_tests.faces.conftest import LabelledFace


def test_dlib_finds_the_face_in_every_training_photo(dlib_faces: list[LabelledFace]) -> None:
    training = sorted(TRAIN.rglob("*.jp*g"))
    assert len(training) == 9
    for photo in training:
        faces = [face for face in dlib_faces if face.photo == photo]
        assert [face.person for face in faces] == [photo.parent.name], photo
    assert {face.person for face in dlib_faces} >= set(PEOPLE)
    for face in dlib_faces:
        assert face.embedding.shape == (128,) and face.embedding.dtype == np.float32
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-5


def test_insightface_loads_a_local_pack_through_face_analysis(
    insightface_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import insightface.app.face_analysis as face_analysis

    def no_download(*args: object, **kwargs: object) -> str:
        raise AssertionError("insightface tried to download a model")

    monkeypatch.setattr(face_analysis, "ensure_available", no_download)
    settings = FaceSettings(
        backend="insightface", model_dir=str(insightface_pack), model_name="test/pack"
    )
    backend = load_backend(settings)
    assert isinstance(backend, InsightFaceBackend)
    assert backend.dim == 512 and backend.model == "test/pack" and backend.device == "cpu"

    image = preview(SOLVAY)
    faces, crops = analyse_image(image, backend, settings)
    # The 1927 Solvay conference: 29 people, every one found (the sdist's own ground truth).
    assert len(faces) == 29 and len(crops) == 29
    for face in faces:
        x1, y1, x2, y2 = face.box
        assert 0 <= x1 < x2 <= image.width and 0 <= y1 < y2 <= image.height
        assert face.score >= 0.7
        assert len(face.landmarks) == 5
        assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in face.landmarks)
        assert face.embedding.shape == (512,)
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-5


def test_insightface_packs_that_cannot_work_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FaceBackendError, match="not an insightface model pack"):
        InsightFaceBackend(tmp_path / "nowhere", "missing")
    detector_only = tmp_path / "detector-only"
    detector_only.mkdir()
    shutil.copy(SCRFD, detector_only / "det.onnx")
    with pytest.raises(FaceBackendError, match="no recognition model"):
        InsightFaceBackend(detector_only, "half")
    with pytest.raises(FaceBackendError, match="unknown face backend"):
        load_backend(FaceSettings(backend="opencv"))
    with pytest.raises(FaceBackendError, match="hog or cnn"):
        load_backend(FaceSettings(backend="dlib", detector="sift"))


def test_dlib_cnn_detector_is_another_model() -> None:
    settings = FaceSettings(detector="cnn", upsample=0)
    backend = load_backend(settings)
    # Its faces are stored apart from HOG's, under the name the asset records.
    assert backend.model == settings.model == "dlib/resnet_v1+cnn"
    image = preview(FACES / "two_people.jpg")
    image.thumbnail((800, 800))
    faces, _ = analyse_image(image, backend, settings)
    assert len(faces) == 2 and all(face.embedding.shape == (128,) for face in faces)
