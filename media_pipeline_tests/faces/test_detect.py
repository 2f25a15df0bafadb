"""Detection plumbing: the size and score cuts, crops, the mapping back to the original's
frame, and detection in the pool's worker processes (a bad preview is a result, not a crash)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from face_samples.standins import preview
from media_pipeline.faces.backends import DetectedFace
from media_pipeline.faces.detect import (
    DETECTOR,
    FaceScan,
    FaceSettings,
    analyse_image,
    crop_face,
    to_original,
)
from media_pipeline.stages.pool import work_many
from media_pipeline.thumbnails.render import RenderError
from media_pipeline_tests.corpus import FACES


class FixedBackend:
    """Returns the faces it was given, whatever the image."""

    model = "test/fixed"
    dim = 2

    def __init__(self, faces: list[DetectedFace]) -> None:
        self.faces = faces

    def analyse(self, rgb: np.ndarray) -> list[DetectedFace]:
        return self.faces


def _face(box: tuple[float, float, float, float], score: float) -> DetectedFace:
    return DetectedFace(box, ((0.0, 0.0),) * 5, score, np.array([1.0, 0.0], dtype=np.float32))


def test_faces_below_the_size_or_score_cut_are_dropped() -> None:
    image = Image.new("RGB", (400, 300), "grey")
    big = _face((10, 10, 110, 130), 1.2)
    small = _face((200, 10, 220, 40), 2.0)  # 20 px wide: below 32
    weak = _face((200, 100, 300, 200), -0.2)  # dlib score below 0
    faces, crops = analyse_image(image, FixedBackend([big, small, weak]), FaceSettings())
    assert faces == [big] and len(crops) == 1
    faces, _ = analyse_image(
        image, FixedBackend([big, small, weak]), FaceSettings(min_size=10, min_score=-1.0)
    )
    assert faces == [big, small, weak]
    insight = FaceSettings(backend="insightface")
    assert insight.score_cut == 0.7 and FaceSettings().score_cut == 0.0


def test_crops_are_square_jpegs_with_a_margin_clamped_to_the_image() -> None:
    image = Image.new("RGB", (1000, 800), "white")
    with Image.open(io.BytesIO(crop_face(image, (400, 300, 500, 400), 160))) as crop:
        assert crop.format == "JPEG" and crop.size == (160, 160)
    with Image.open(io.BytesIO(crop_face(image, (0, 0, 100, 100), 160))) as corner:
        assert corner.size == (130, 130)  # the margin falls outside: clamped, never padded


def test_boxes_map_back_to_the_upright_original() -> None:
    corners = np.array([[100.0, 50.0], [200.0, 150.0]])
    mapped = to_original(corners, (1440, 1080), (4032, 3024))
    assert np.allclose(mapped, [[280.0, 140.0], [560.0, 420.0]])
    assert np.allclose(to_original(corners, (1440, 1080), None), corners)


def test_detection_runs_in_worker_processes_and_survives_bad_previews(tmp_path: Path) -> None:
    good = tmp_path / "two_people.jpg"
    preview(FACES / "two_people.jpg").save(good, quality=90)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:2000])
    missing = tmp_path / "gone.jpg"
    jobs = [("good", str(good)), ("truncated", str(truncated)), ("missing", str(missing))]
    results = dict(work_many(jobs, FaceSettings(), 2, DETECTOR))
    scan = results["good"]
    assert isinstance(scan, FaceScan) and len(scan.faces) == 2 and len(scan.crops) == 2
    assert (scan.width, scan.height) == Image.open(good).size
    assert isinstance(results["truncated"], (OSError, RenderError))
    assert isinstance(results["missing"], OSError)
