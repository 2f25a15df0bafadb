"""Face-analysis backends: find faces in an upright RGB image, with landmarks and an embedding.

Two real implementations behind one interface:

- ``dlib``: HOG (or CNN) detector, 5-point shape predictor and the ResNet face encoder
  (128-d), weights from the ``face-recognition-models`` package: the encoder, the 5-point
  predictor and the CNN detector are public domain / CC0, so a commercial user can choose
  this backend (the 68-point predictor of the same package, trained on iBUG 300-W, is not
  CC0 and is not used). Works fully offline from PyPI wheels (``dlib-bin``).
- ``insightface``: SCRFD detection + ArcFace (512-d) through ``insightface.app.FaceAnalysis``
  on onnxruntime (CUDA when available). Its pretrained packs (buffalo_l) are for
  non-commercial research only; the pack folder comes from ``ml_models``.

Embeddings are returned L2-normalised, so every distance downstream is the same Euclidean
distance on the unit sphere (``d² = 2 - 2·cos``) whatever the backend.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = [
    "BACKENDS",
    "DLIB_MODEL",
    "DetectedFace",
    "DlibBackend",
    "FaceBackend",
    "FaceBackendError",
    "InsightFaceBackend",
    "dlib_model",
    "dlib_weights_folder",
    "normalise",
]

BACKENDS = ("dlib", "insightface")
DLIB_MODEL = "dlib/resnet_v1"


def dlib_model(detector: str) -> str:
    """The name recorded with dlib's faces: the encoder, and the detector when it is not HOG
    (another detector finds other boxes, so its faces are stored apart)."""
    return DLIB_MODEL if detector == "hog" else f"{DLIB_MODEL}+{detector}"


class FaceBackendError(Exception):
    """A backend cannot be loaded: its package or weights are missing."""


@dataclass(frozen=True)
class DetectedFace:
    """One face in the analysed image's pixel frame."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    landmarks: tuple[tuple[float, float], ...]  # 5 points; their meaning depends on the model
    score: float  # detector confidence (dlib: HOG/CNN score; insightface: probability)
    embedding: np.ndarray = field(repr=False)  # float32, unit length

    @property
    def size(self) -> float:
        """The shorter side of the box, in pixels."""
        x1, y1, x2, y2 = self.box
        return min(x2 - x1, y2 - y1)


class FaceBackend(Protocol):
    model: str  # recorded with every face it finds; a different model re-detects
    dim: int

    def analyse(self, rgb: np.ndarray) -> list[DetectedFace]: ...


def normalise(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def dlib_weights_folder() -> Path:
    """The folder of ``face-recognition-models``' weight files. Found without importing the
    package: its ``__init__`` needs ``pkg_resources``, which recent setuptools dropped."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceBackendError(
            "the dlib face backend needs its weights: pip install 'media_pipeline[faces]' "
            "(face-recognition-models)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class DlibBackend:
    """dlib: HOG detector by default (CPU-friendly; ``detector="cnn"`` is the slower, more
    accurate MMOD CNN), 5-point alignment, ResNet 128-d encoder."""

    dim = 128

    def __init__(self, upsample: int = 1, detector: str = "hog", jitters: int = 0) -> None:
        try:
            import dlib
        except ImportError as exc:
            raise FaceBackendError(
                "the dlib face backend needs dlib: pip install 'media_pipeline[faces]' (dlib-bin)"
            ) from exc
        weights = dlib_weights_folder()
        self.upsample = upsample
        self.jitters = jitters
        self.detector_kind = detector
        if detector == "cnn":
            self._cnn = dlib.cnn_face_detection_model_v1(
                str(weights / "mmod_human_face_detector.dat")
            )
        elif detector == "hog":
            self._hog = dlib.get_frontal_face_detector()
        else:
            raise FaceBackendError(f"unknown dlib detector {detector!r} (hog or cnn)")
        self._shapes = dlib.shape_predictor(str(weights / "shape_predictor_5_face_landmarks.dat"))
        self._encoder = dlib.face_recognition_model_v1(
            str(weights / "dlib_face_recognition_resnet_model_v1.dat")
        )
        self._dlib = dlib
        self.model = dlib_model(detector)

    def _detect(self, rgb: np.ndarray) -> list[tuple[object, float]]:
        if self.detector_kind == "cnn":
            found = self._cnn(rgb, self.upsample)
            return [(hit.rect, float(hit.confidence)) for hit in found]
        # adjust_threshold 0: dlib's own cut; weaker candidates are mostly false positives.
        rects, scores, _ = self._hog.run(rgb, self.upsample, 0.0)
        return list(zip(rects, (float(score) for score in scores), strict=True))

    def analyse(self, rgb: np.ndarray) -> list[DetectedFace]:
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        height, width = rgb.shape[:2]
        found = self._detect(rgb)
        if not found:
            return []
        shapes = self._dlib.full_object_detections()
        for rect, _ in found:
            shapes.append(self._shapes(rgb, rect))
        descriptors = self._encoder.compute_face_descriptor(rgb, shapes, self.jitters)
        faces = []
        for (rect, score), shape, descriptor in zip(found, shapes, descriptors, strict=True):
            box = (
                float(max(rect.left(), 0)),
                float(max(rect.top(), 0)),
                float(min(rect.right() + 1, width)),
                float(min(rect.bottom() + 1, height)),
            )
            points = tuple((float(p.x), float(p.y)) for p in shape.parts())
            faces.append(DetectedFace(box, points, score, normalise(np.array(descriptor))))
        return faces


class InsightFaceBackend:
    """insightface FaceAnalysis over a local model folder (detection + recognition only: the
    pack's landmark and gender/age models are not loaded)."""

    def __init__(
        self,
        model_dir: str | Path,
        model_name: str,
        det_size: int = 640,
        min_score: float = 0.5,
        device: str = "auto",
    ) -> None:
        try:
            import onnxruntime
            from insightface.app import FaceAnalysis
        except ImportError as exc:
            raise FaceBackendError(
                "the insightface backend needs insightface and onnxruntime: "
                "pip install 'media_pipeline[faces]'"
            ) from exc
        folder = Path(model_dir).expanduser().resolve()
        if not folder.is_dir() or not any(folder.glob("*.onnx")):
            # FaceAnalysis would take the name for a model-zoo pack and download it.
            raise FaceBackendError(f"{folder} is not an insightface model pack (no .onnx files)")
        available = onnxruntime.get_available_providers()
        use_cuda = device != "cpu" and "CUDAExecutionProvider" in available
        providers = ["CUDAExecutionProvider"] if use_cuda else []
        providers.append("CPUExecutionProvider")
        try:
            self._app = FaceAnalysis(
                name=str(folder),
                allowed_modules=["detection", "recognition"],
                providers=providers,
            )
        except (AssertionError, FileNotFoundError, ValueError, RuntimeError) as exc:
            raise FaceBackendError(
                f"{model_dir} is not an insightface model pack with a detector and a "
                f"recognizer ({type(exc).__name__}: {exc})"
            ) from exc
        if "recognition" not in self._app.models:
            raise FaceBackendError(f"{model_dir} has no recognition model (e.g. w600k_r50.onnx)")
        self._app.prepare(ctx_id=0 if use_cuda else -1, det_size=(det_size, det_size),
                          det_thresh=min_score)  # fmt: skip
        self.dim = int(self._app.models["recognition"].output_shape[-1])
        self.model = model_name
        self.device = "cuda" if use_cuda else "cpu"

    def analyse(self, rgb: np.ndarray) -> list[DetectedFace]:
        bgr = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[:, :, ::-1])
        height, width = bgr.shape[:2]
        faces = []
        for face in self._app.get(bgr):
            x1, y1, x2, y2 = (float(value) for value in face.bbox[:4])
            box = (max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height)))
            points = tuple((float(x), float(y)) for x, y in face.kps)
            faces.append(
                DetectedFace(box, points, float(face.det_score), normalise(face.embedding))
            )
        return faces
