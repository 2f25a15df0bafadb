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


def load_ocr(device: str = "auto", threads: int = -1) -> OcrModel:
    """The engine with the wheel's models; CUDA through onnxruntime-gpu when present."""
    from rapidocr_onnxruntime import RapidOCR

    cuda = _uses_cuda(device)
    engine = RapidOCR(
        det_use_cuda=cuda,
        cls_use_cuda=cuda,
        rec_use_cuda=cuda,
        intra_op_num_threads=threads,
    )
    return OcrModel(engine, model_name(), "cuda" if cuda else "cpu")


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
