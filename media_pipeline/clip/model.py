"""A CLIP model (transformers) that turns pixels and text into L2-normalised float32 vectors.

Images go in as uint8 arrays already resized and cropped by ``embed.preprocess`` (worker
processes do that), so this module only rescales and normalises on the model's device: the
transformers image processor would redo the resize per image in the main process, which is
where the model runs. The resize/crop/mean/std follow the model's
``preprocessor_config.json``, and a test checks the result against transformers' own
processor.

Device "auto": CUDA when available, else CPU with torch's threads set to the cores this
process may use (containers often allow fewer than ``os.cpu_count()``). Precision "auto":
float16 weights on CUDA; on a CPU with native bfloat16 (AVX512-BF16 or AMX: recent Xeon and
EPYC) float32 weights under bfloat16 autocast, about 3x faster than float32 on the 2-core
development machine (bench/embeddings.py); against float32 the vectors' cosine was 0.99999
for random ViT-B/32 weights (trained weights could not be measured offline). float32 on
other CPUs, where bfloat16 would be emulated and slower.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from media_pipeline.clip.embed import (
    OPENAI_CLIP_MEAN,
    OPENAI_CLIP_STD,
    Preprocessing,
    prepare,
)
from media_pipeline.clip.naming import stable_model_name
from media_pipeline.runtime.kept import kept
from media_pipeline.settings import available_cores

__all__ = [
    "ClipModel",
    "available_cores",
    "cpu_has_bfloat16",
    "kept_clip",
    "load_clip",
    "preprocessing_of",
]


def preprocessing_of(folder: Path, image_size: int) -> Preprocessing:
    """The model's Preprocessing from its preprocessor_config.json (CLIP's defaults without)."""
    try:
        config = json.loads((folder / "preprocessor_config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Preprocessing(size=image_size, resize=image_size)

    def edge(value: Any, key: str) -> int:
        return int(value.get(key, image_size)) if isinstance(value, dict) else int(value)

    return Preprocessing(
        size=edge(config.get("crop_size", image_size), "height"),
        resize=edge(config.get("size", image_size), "shortest_edge"),
        mean=tuple(config.get("image_mean", OPENAI_CLIP_MEAN)),  # type: ignore[arg-type]
        std=tuple(config.get("image_std", OPENAI_CLIP_STD)),  # type: ignore[arg-type]
    )


def _features(output: Any) -> torch.Tensor:
    """transformers 5 returns an output object whose ``pooler_output`` is the projected
    embedding; 4.x returned the tensor itself."""
    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if pooled is None:
        raise TypeError(f"unexpected CLIP feature output {type(output).__name__}")
    return pooled


def _normalised(features: torch.Tensor) -> np.ndarray:
    vectors = features.float().cpu().numpy()
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class ClipModel:
    """Image and text embeddings of one CLIP model, on one device."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        preprocessing: Preprocessing,
        model_name: str,
        device: torch.device,
        dtype: torch.dtype,
        autocast: torch.dtype | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.preprocessing = preprocessing
        self.model_name = model_name
        self.device = device
        self.dtype = dtype  # of the weights and the pixels fed to them
        self.autocast = autocast  # CPU: run the matrix products in this type (bfloat16)
        self.dim = int(model.config.projection_dim)
        self.max_text_tokens = int(model.config.text_config.max_position_embeddings)
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(preprocessing.mean, device=device).view(shape)
        self._std = torch.tensor(preprocessing.std, device=device).view(shape)

    @property
    def image_size(self) -> int:
        return self.preprocessing.size

    @property
    def precision(self) -> str:
        """ "float32", "float16" or "bfloat16-autocast": worth recording beside the vectors."""
        if self.autocast is not None:
            return f"{str(self.autocast).removeprefix('torch.')}-autocast"
        return str(self.dtype).removeprefix("torch.")

    def __repr__(self) -> str:
        return (
            f"ClipModel({self.model_name!r}, dim={self.dim}, device={self.device}, "
            f"{self.precision})"
        )

    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        with torch.inference_mode():
            if self.autocast is None:
                yield
            else:
                with torch.autocast(self.device.type, dtype=self.autocast):
                    yield

    def pixels(self, images: np.ndarray | Sequence[Any]) -> np.ndarray:
        """uint8 [N, size, size, 3] from PIL images (resized and cropped like the feed) or an
        array that already is one."""
        if isinstance(images, np.ndarray):
            array = images
        else:
            p = self.preprocessing
            array = np.stack([prepare(image, p.size, p.resize) for image in images])
        size = self.image_size
        if array.dtype != np.uint8 or array.ndim != 4 or array.shape[1:] != (size, size, 3):
            raise ValueError(
                f"images must be uint8 [N, {size}, {size}, 3], got {array.dtype} {array.shape}"
            )
        return array

    def embed_images(self, images: np.ndarray | Sequence[Any]) -> np.ndarray:
        """float32 [N, dim], L2-normalised, for uint8 [N, size, size, 3] or PIL images."""
        array = self.pixels(images)
        if len(array) == 0:
            return np.zeros((0, self.dim), np.float32)
        with self._inference():
            if not array.flags.writeable:  # torch wants to own writable memory
                array = array.copy()
            batch = torch.from_numpy(array).to(self.device, non_blocking=True)
            batch = batch.permute(0, 3, 1, 2).float().div_(255.0)
            batch = ((batch - self._mean) / self._std).to(self.dtype)
            features = _features(self.model.get_image_features(pixel_values=batch))
        return _normalised(features)

    def embed_text(self, texts: str | Sequence[str]) -> np.ndarray:
        """float32 [N, dim], L2-normalised; texts longer than the model's context (77
        tokens for OpenAI's) are truncated."""
        if isinstance(texts, str):
            texts = [texts]
        if len(texts) == 0:
            return np.zeros((0, self.dim), np.float32)
        tokens = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_text_tokens,
            return_tensors="pt",
        )
        with self._inference():
            features = _features(
                self.model.get_text_features(
                    input_ids=tokens["input_ids"].to(self.device),
                    attention_mask=tokens["attention_mask"].to(self.device),
                )
            )
        return _normalised(features)


def _device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def cpu_has_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AMX or AVX512-BF16); torch only has
    private probes for it, hence the defensive lookups."""
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        check = getattr(torch.cpu, probe, None)
        try:
            if check is not None and check():
                return True
        except Exception:
            continue
    return False


def _precision(device: torch.device, precision: str) -> tuple[torch.dtype, torch.dtype | None]:
    """(weights' dtype, autocast dtype or None) for a precision setting."""
    if precision == "auto":
        if device.type == "cuda":
            precision = "float16"
        elif device.type == "cpu" and cpu_has_bfloat16():
            precision = "bfloat16-autocast"
        else:
            precision = "float32"
    choices = {
        "float32": (torch.float32, None),
        "float16": (torch.float16, None),
        "bfloat16": (torch.bfloat16, None),
        "bfloat16-autocast": (torch.float32, torch.bfloat16),
    }
    if precision not in choices:
        raise ValueError(f"precision must be auto or one of {sorted(choices)}, not {precision!r}")
    return choices[precision]


def kept_clip(folder: Path, device: str = "auto") -> ClipModel:
    """``load_clip`` of a local model folder, kept for the next batch in this process: a
    worker takes batch after batch of the same model, and loading it (seconds, more on a GPU)
    each time would cost every batch. One model at most is kept; another folder, device or
    changed weights load anew (runtime/kept.py)."""
    return _kept_clip(str(folder), stable_model_name(folder), device)


@kept
def _kept_clip(folder: str, name: str, device: str) -> ClipModel:
    return load_clip(folder, device=device)


def load_clip(
    path_or_id: str | Path,
    device: str = "auto",
    threads: int | None = None,
    precision: str = "auto",
) -> ClipModel:
    """Load a transformers CLIP model from a local folder (the normal case: the folder that
    ``models.ensure_model`` verified; nothing is fetched) or a hub id (through the
    huggingface cache, for experiments).

    ``threads``: torch's CPU threads (default: every core this process may use). This is
    process-wide torch state, set here because the model is what uses it. ``precision``:
    "auto" (see the module docstring), "float32", "float16", "bfloat16" or
    "bfloat16-autocast".
    """
    from transformers import AutoTokenizer, CLIPModel

    torch_device = _device(device)
    dtype, autocast = _precision(torch_device, precision)
    if torch_device.type == "cpu":
        torch.set_num_threads(threads or available_cores())
    folder = Path(path_or_id).expanduser()
    local = folder.is_dir()
    source = str(folder) if local else str(path_or_id)
    model = CLIPModel.from_pretrained(source, local_files_only=local, dtype=dtype)
    model = model.to(torch_device).eval()
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
    image_size = int(model.config.vision_config.image_size)
    if local:
        preprocessing = preprocessing_of(folder, image_size)
        name = stable_model_name(folder)
    else:
        from huggingface_hub import hf_hub_download

        try:
            config = Path(hf_hub_download(source, "preprocessor_config.json"))
            preprocessing = preprocessing_of(config.parent, image_size)
        except Exception:  # no preprocessor config in the repo: CLIP's defaults
            preprocessing = Preprocessing(size=image_size, resize=image_size)
        name = source
    if preprocessing.size != image_size:
        raise ValueError(
            f"{source}: preprocessor crops to {preprocessing.size} px, the model takes {image_size}"
        )
    return ClipModel(model, tokenizer, preprocessing, name, torch_device, dtype, autocast)
