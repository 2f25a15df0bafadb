"""Which backend runs: auto takes insightface only when its pack is already on disk; an explicit
insightface choice with no pack is one clear error; nothing is downloaded unasked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from media_pipeline.faces.config import resolve_face_settings
from media_pipeline.faces.detect import FaceSettings, load_backend
from media_pipeline.models.errors import ModelMissing
from media_pipeline.models.manifest import write_manifest
from media_pipeline.models.specs import BUFFALO_L


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MEDIA_PIPELINE_FACE_BACKEND", "MEDIA_PIPELINE_FACE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDIA_PIPELINE_OFFLINE", "1")
    return tmp_path / "models"


def test_auto_is_dlib_until_an_insightface_pack_is_on_disk(
    models: Path, insightface_pack: Path
) -> None:
    settings = resolve_face_settings(models)
    assert settings.backend == "dlib" and settings.model == "dlib/resnet_v1"
    # buffalo_l as ml_models leaves it: files and a verified manifest.
    folder = models / BUFFALO_L.folder_name
    folder.mkdir(parents=True)
    shutil.copy(insightface_pack / "det_scrfd.onnx", folder / "det_10g.onnx")
    shutil.copy(insightface_pack / "w_tiny.onnx", folder / "w600k_r50.onnx")
    write_manifest(folder, model=BUFFALO_L.name, source=BUFFALO_L.source, licence="test")
    settings = resolve_face_settings(models, FaceSettings(min_size=50))
    assert settings.backend == "insightface" and settings.model_dir == str(folder)
    assert settings.model == "insightface/buffalo_l" and settings.min_size == 50
    assert load_backend(settings).dim == 512  # our manifest beside the ONNX files is ignored
    # A damaged pack is not used: auto falls back to dlib.
    (folder / "w600k_r50.onnx").write_bytes(b"changed")
    assert resolve_face_settings(models).backend == "dlib"


def test_a_local_pack_and_explicit_choices(
    models: Path, insightface_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_MODEL", str(insightface_pack))
    settings = resolve_face_settings(models)
    assert settings.backend == "insightface" and settings.model_dir == str(insightface_pack)
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_BACKEND", "dlib")
    assert resolve_face_settings(models).backend == "dlib"

    monkeypatch.setenv("MEDIA_PIPELINE_FACE_BACKEND", "insightface")
    monkeypatch.delenv("MEDIA_PIPELINE_FACE_MODEL")
    with pytest.raises(ModelMissing, match="MEDIA_PIPELINE_FACE_MODEL"):
        resolve_face_settings(models)  # offline, and buffalo_l was never downloaded
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_BACKEND", "opencv")
    with pytest.raises(ValueError, match="MEDIA_PIPELINE_FACE_BACKEND"):
        resolve_face_settings(models)


def test_dlib_cnn_is_a_backend_choice(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_PIPELINE_FACE_BACKEND", "dlib-cnn")
    settings = resolve_face_settings(models)
    assert (settings.backend, settings.detector) == ("dlib", "cnn")
    assert settings.model == "dlib/resnet_v1+cnn"
