"""Reading text in one image with RapidOCR (PP-OCRv4 detection, angle classification and
recognition on ONNX Runtime). Pure: no catalog, no Dagster.

The models ship inside the `rapidocr-onnxruntime` wheel (Apache-2.0, as PaddleOCR's weights),
so reading works offline and the tests run the real weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from media_pipeline.photo import TextLine
from media_pipeline.runtime.kept import kept

PACKAGE = "rapidocr-onnxruntime"


@dataclass
class OcrModel:
    engine: Any  # rapidocr_onnxruntime.RapidOCR
    name: str  # recorded with every result: a new model reads every photo again
    device: str


def _uses_cuda(device: str) -> bool:
    import onnxruntime

    available = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    if device == "cuda" and not available:
        raise ValueError("OCR device cuda asked for, but onnxruntime has no CUDA provider")
    return device == "cuda" or (device == "auto" and available)


def model_name() -> str:
    """The name recorded with every result, known without loading the engine."""
    return f"{PACKAGE}-{version(PACKAGE)}/PP-OCRv4"


# Text detection sees the image with its longest side at most this (PaddleOCR's own default;
# RapidOCR's only scales up images whose shortest side is under 736 px, so it detected on the
# whole 1440 px preview). Photos without text, most of a library, where detection is all the
# work: 24.0 against 6.2 photos/s; photos with text read the same 87 lines at the same speed
# (bench/ocr.py, 2 threads).
DETECTION_SIDE = 960


def load_ocr(
    device: str = "auto", threads: int = -1, detection_side: int | None = DETECTION_SIDE
) -> OcrModel:
    """The engine with the wheel's models; CUDA through onnxruntime-gpu when present.
    ``detection_side`` None: RapidOCR's own detection size (the benchmark compares)."""
    from rapidocr_onnxruntime import RapidOCR

    cuda = _uses_cuda(device)
    detection = (
        {"det_limit_side_len": detection_side, "det_limit_type": "max"} if detection_side else {}
    )
    engine = RapidOCR(
        **detection,
        det_use_cuda=cuda,
        cls_use_cuda=cuda,
        rec_use_cuda=cuda,
        intra_op_num_threads=threads,
    )
    return OcrModel(engine, model_name(), "cuda" if cuda else "cpu")


@kept
def kept_ocr(device: str = "auto", threads: int = -1) -> OcrModel:
    """``load_ocr``, kept for the next batch in this process (runtime/kept.py)."""
    return load_ocr(device, threads)


def read_text(model: OcrModel, image_path: Path, min_score: float = 0.5) -> list[TextLine]:
    """The lines of text in an (already upright) image, top to bottom; [] when there is none.
    Raises OSError for an unreadable image."""
    import numpy as np  # here: the catalog's text queries (`info`, `search`) use this module
    from PIL import Image

    with Image.open(image_path) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    found, _ = model.engine(np.asarray(rgb)[:, :, ::-1])  # RapidOCR takes OpenCV's BGR order
    lines = []
    for points, text, score in found or []:
        xs = [float(x) for x, _ in points]
        ys = [float(y) for _, y in points]
        text = text.strip()
        if not text or float(score) < min_score:
            continue
        box = (
            round(max(min(xs) / width, 0.0), 4),
            round(max(min(ys) / height, 0.0), 4),
            round(min(max(xs) / width, 1.0), 4),
            round(min(max(ys) / height, 1.0), 4),
        )
        lines.append(TextLine(text, float(score), box))
    return sorted(lines, key=lambda line: (line.box[1], line.box[0]))
