"""Which face backend runs, and with which model files.

``auto`` (the default) takes insightface when its pack is already on disk (a local
MEDIA_PIPELINE_FACE_MODEL folder, or buffalo_l downloaded and verified by ``ml_models``) and
the package is installed; otherwise dlib, whose weights come with a PyPI package. insightface's
pretrained packs are for non-commercial research only, so nothing downloads them unless
MEDIA_PIPELINE_FACE_BACKEND=insightface says so.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

from media_pipeline.faces.detect import FaceSettings
from media_pipeline.models.ensure import ModelFiles, face_model_files
from media_pipeline.models.errors import ModelError
from media_pipeline.models.specs import face_backend_from_env

__all__ = ["resolve_face_settings"]


def _insightface_installed() -> bool:
    return all(importlib.util.find_spec(name) for name in ("insightface", "onnxruntime"))


def _dlib(base: FaceSettings, detector: str) -> FaceSettings:
    return replace(base, backend="dlib", detector=detector, model_dir=None, model_name="")


def _insightface(base: FaceSettings, files: ModelFiles) -> FaceSettings:
    return replace(base, backend="insightface", model_dir=str(files.path), model_name=files.name)


def resolve_face_settings(models_folder: Path, base: FaceSettings | None = None) -> FaceSettings:
    """``base`` with the backend and model of MEDIA_PIPELINE_FACE_BACKEND (raises ModelError
    for an insightface choice whose pack is unavailable)."""
    base = base or FaceSettings()
    choice = face_backend_from_env()
    if choice == "auto":
        if not _insightface_installed():
            return _dlib(base, "hog")
        try:
            return _insightface(base, face_model_files(models_folder, offline=True))
        except ModelError:  # not downloaded (or damaged): never fetched unasked
            return _dlib(base, "hog")
    if choice == "insightface":
        return _insightface(base, face_model_files(models_folder))
    if choice in ("dlib", "dlib-cnn"):
        return _dlib(base, "cnn" if choice == "dlib-cnn" else "hog")
    raise ValueError(f"unknown face backend {choice!r}")
