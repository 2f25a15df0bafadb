"""Stand-ins for the face models no test can download, and the previews the pipeline detects
on. Shared by the tests and bench/faces.py (no pytest here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

FIXTURES = Path(__file__).parent / "fixtures"
SCRFD = FIXTURES / "scrfd_detector.onnx"
SOLVAY = FIXTURES / "solvay_1927_1440.jpg"


def build_recognizer(path: Path, dim: int = 512, seed: int = 0) -> Path:
    """An ONNX model insightface's model zoo takes for ArcFace (input N×3×112×112, one output
    N×dim): average-pooled pixels times a random matrix. Random, but a real network on the
    real loading, alignment and inference path."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array(rng.standard_normal((588, dim)).astype(np.float32), "W")
    shape = numpy_helper.from_array(np.array([-1, 588], dtype=np.int64), "shape")
    graph = helper.make_graph(
        [
            helper.make_node(
                "AveragePool", ["input.1"], ["pooled"], kernel_shape=[8, 8], strides=[8, 8]
            ),
            helper.make_node("Reshape", ["pooled", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "W"], ["embedding"]),
        ],
        "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["N", 3, 112, 112])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", dim])],
        initializer=[weight, shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def standin_pack(folder: Path) -> Path:
    """An insightface model folder of the real SCRFD detector and a tiny random recognizer."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCRFD, folder / "det_scrfd.onnx")
    build_recognizer(folder / "w_tiny.onnx")
    return folder


def preview(path: Path) -> Image.Image:
    """What the pipeline detects on: upright, RGB, at most 1440 px."""
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((1440, 1440), Image.Resampling.LANCZOS)
    return upright
