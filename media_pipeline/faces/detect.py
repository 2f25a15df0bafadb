"""Face detection on rendered previews, in the pool's worker processes.

The previews (thumbnails/) are upright, sRGB and at most 1440 px: the detector sees what a
viewer sees, at a size where a face of 40 px is still found, and never decodes an original
twice. Boxes come back in the preview's pixels; ``to_original`` maps them onto the upright
original at full resolution, which is what the catalog stores.

Defaults (FaceSettings), and why:
- ``min_size`` 32 px on the preview: smaller faces give embeddings too noisy to cluster
  (dlib's encoder works on 150 px chips, ArcFace on 112 px), while group photos must keep
  theirs: on a 1440 px preview of the 1927 Solvay conference photo its 29 faces measure
  36 to 45 px. (dlib's HOG with one upsampling finds faces down to about 40 px anyway.)
- ``min_score``: dlib's HOG score 0.0 (dlib's own cut; below it most hits are not faces);
  insightface's probability 0.7 (as Immich: at insightface's own 0.5 the 1927 Solvay photo
  still has every face, but crowds and textures give false positives that pollute people).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image

from media_pipeline.faces.backends import (
    DetectedFace,
    DlibBackend,
    FaceBackend,
    FaceBackendError,
    InsightFaceBackend,
    dlib_model,
)

__all__ = [
    "DEFAULT_MIN_SCORE",
    "DETECTOR",
    "FaceScan",
    "FaceSettings",
    "analyse_image",
    "cached_backend",
    "crop_face",
    "detect_job",
    "load_backend",
    "to_original",
]

# The pool's "module:function" for a worker (see stages.pool.resolve_function).
DETECTOR = "media_pipeline.faces.detect:detect_job"
DEFAULT_MIN_SCORE = {"dlib": 0.0, "insightface": 0.7}
CROP_MARGIN = 0.3  # each side, as a fraction of the box: a little hair and chin


@dataclass(frozen=True)
class FaceSettings:
    """Everything a worker needs to load a backend and filter its faces. Plain data: it
    travels to the worker processes."""

    backend: str = "dlib"
    model_name: str = ""  # insightface: the pack's stable name (recorded with each face)
    model_dir: str | None = None  # insightface: the pack's folder
    min_size: int = 32
    min_score: float | None = None  # None: DEFAULT_MIN_SCORE of the backend
    upsample: int = 1  # dlib: image upsamplings before detection (finds smaller faces)
    detector: str = "hog"  # dlib: "hog" or "cnn"
    det_size: int = 640  # insightface: detector input size
    device: str = "auto"
    crop_size: int = 160

    @property
    def model(self) -> str:
        """The name stored with every face this backend finds (a different one re-detects)."""
        if self.backend == "dlib":
            return dlib_model(self.detector)
        return self.model_name or str(self.model_dir)

    @property
    def score_cut(self) -> float:
        return DEFAULT_MIN_SCORE[self.backend] if self.min_score is None else self.min_score


@dataclass(frozen=True)
class FaceScan:
    """What one preview gave: its size, the faces kept, and a JPEG crop of each."""

    width: int
    height: int
    faces: list[DetectedFace]
    crops: list[bytes] = field(repr=False)


def load_backend(settings: FaceSettings) -> FaceBackend:
    if settings.backend == "dlib":
        return DlibBackend(upsample=settings.upsample, detector=settings.detector)
    if settings.backend == "insightface":
        if not settings.model_dir:
            raise FaceBackendError("the insightface backend needs its model pack folder")
        return InsightFaceBackend(
            settings.model_dir,
            settings.model,
            det_size=settings.det_size,
            min_score=settings.score_cut,
            device=settings.device,
        )
    raise FaceBackendError(f"unknown face backend {settings.backend!r} (dlib or insightface)")


@lru_cache(maxsize=2)
def cached_backend(settings: FaceSettings) -> FaceBackend:
    """One backend per process and settings: loading costs far more than a photo. The
    caller loads it once before a run too, so a missing package or model is one clear error
    instead of a failure for every file."""
    return load_backend(settings)


def analyse_image(
    image: Image.Image, backend: FaceBackend, settings: FaceSettings
) -> tuple[list[DetectedFace], list[bytes]]:
    """Faces of an upright image that pass the size and score cuts, each with its crop."""
    rgb = np.asarray(image.convert("RGB"))
    faces = [
        face
        for face in backend.analyse(rgb)
        if face.size >= settings.min_size and face.score >= settings.score_cut
    ]
    return faces, [crop_face(image, face.box, settings.crop_size) for face in faces]


def detect_job(path: str, settings: FaceSettings) -> FaceScan:
    """The pool's job function (runs in a worker): one preview in, its faces out."""
    backend = cached_backend(settings)
    with Image.open(path) as image:
        image.load()
        faces, crops = analyse_image(image, backend, settings)
        return FaceScan(image.width, image.height, faces, crops)


def crop_face(image: Image.Image, box: tuple[float, float, float, float], size: int) -> bytes:
    """A square JPEG around the face with a margin, at most ``size`` px (the people page's
    avatar), clamped to the image."""
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * (1 + 2 * CROP_MARGIN)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = max(0, round(cx - side / 2))
    top = max(0, round(cy - side / 2))
    right = min(image.width, round(cx + side / 2))
    bottom = min(image.height, round(cy + side / 2))
    crop = image.crop((left, top, right, bottom)).convert("RGB")
    crop.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85)
    return out.getvalue()


def to_original(
    points: np.ndarray, analysed: tuple[int, int], original: tuple[int, int] | None
) -> np.ndarray:
    """Scale (x, y) pairs from the analysed preview onto the upright original's full size
    (``original``: its upright width and height; None keeps preview pixels)."""
    if not original or not original[0] or not original[1]:
        return np.asarray(points, dtype=np.float64)
    scale = np.array([original[0] / analysed[0], original[1] / analysed[1]], dtype=np.float64)
    return np.asarray(points, dtype=np.float64).reshape(-1, 2) * scale
