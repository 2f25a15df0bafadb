"""Which models the pipeline uses, where each comes from, its licence, and the setting that
overrides it.

Settings (media_pipeline.settings: the environment over the settings file, read at call time):

- ``MEDIA_PIPELINE_CLIP_MODEL``: a Hugging Face hub id (default
  ``openai/clip-vit-base-patch32``) or a local directory with a transformers CLIP model,
  used as is (no download, no network).
- ``MEDIA_PIPELINE_FACE_BACKEND``: ``auto`` (default: insightface when its model pack is on
  disk and the package is installed, else dlib), ``dlib`` (HOG detector), ``dlib-cnn`` (the
  slower, more accurate MMOD CNN detector) or ``insightface`` (which makes
  ``ml_models`` download the pack: it is never fetched unasked, its licence is
  non-commercial).
- ``MEDIA_PIPELINE_FACE_MODEL``: the insightface pack: ``buffalo_l`` (default, downloaded
  from insightface's release) or a local directory of ONNX files, used as is.
- ``MEDIA_PIPELINE_OFFLINE`` (or huggingface's own ``HF_HUB_OFFLINE``): never download;
  a model that is not on disk is a ModelMissing error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from media_pipeline import settings

__all__ = [
    "BUFFALO_L",
    "CLIP_LICENCE",
    "CLIP_SETTING",
    "DEFAULT_CLIP_MODEL",
    "FACE_BACKEND_SETTING",
    "FACE_SETTING",
    "INSIGHTFACE_LICENCE",
    "ModelSpec",
    "clip_spec",
    "face_backend_from_env",
    "face_spec",
    "offline_from_env",
]

CLIP_SETTING = "MEDIA_PIPELINE_CLIP_MODEL"
FACE_SETTING = "MEDIA_PIPELINE_FACE_MODEL"
FACE_BACKEND_SETTING = "MEDIA_PIPELINE_FACE_BACKEND"
FACE_BACKENDS = ("auto", "dlib", "dlib-cnn", "insightface")
OFFLINE_SETTINGS = ("MEDIA_PIPELINE_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
DEFAULT_CLIP_MODEL = "openai/clip-vit-base-patch32"

CLIP_LICENCE = (
    "OpenAI CLIP: MIT licence (https://github.com/openai/CLIP/blob/main/LICENSE); the model "
    "card restricts deployed use to research-like settings and warns about its biases."
)
INSIGHTFACE_LICENCE = (
    "insightface pretrained models (buffalo_l): available for NON-COMMERCIAL RESEARCH "
    "PURPOSES ONLY (https://github.com/deepinsight/insightface#license); the insightface "
    "code itself is MIT."
)

# What a transformers CLIP model needs and nothing else: the hub repos also carry TF and
# Flax weights (another 1.2 GB for ViT-B/32). Safetensors first; pickled weights only as a
# fallback for repos that never got converted (torch loads them with weights_only=True).
CLIP_FILES = (
    "config.json",
    "preprocessor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "model.safetensors",
    "model-*.safetensors",
    "model.safetensors.index.json",
)
CLIP_FALLBACK_FILES = ("pytorch_model.bin", "pytorch_model-*.bin", "pytorch_model.bin.index.json")
CLIP_REQUIRED = (
    ("config.json",),
    ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
     "pytorch_model.bin.index.json"),
)  # fmt: skip

Kind = Literal["huggingface", "url", "local"]


@dataclass(frozen=True)
class ModelSpec:
    """One model: what it is called, where it comes from, what it needs on disk.

    ``name`` is the stable name recorded with everything the model computes (hub id,
    "insightface/buffalo_l", or a local directory). ``folder_name`` is its folder under
    the models folder. ``required`` lists groups of file names of which at least one must
    exist after a download (a repo that lacks the weights is an error, not a model).
    """

    name: str
    kind: Kind
    setting: str
    licence: str
    folder_name: str = ""
    revision: str | None = None  # hub: a branch, tag or commit (None: main)
    allow_patterns: tuple[str, ...] = ()
    fallback_patterns: tuple[str, ...] = ()  # hub: fetched when ``required`` is not met
    url: str | None = None
    sha256: str | None = None
    unpack: bool = False  # url: a zip archive to extract
    local_path: Path | None = None
    required: tuple[tuple[str, ...], ...] = ()
    description: str = ""

    @property
    def source(self) -> str:
        if self.kind == "huggingface":
            revision = f"@{self.revision}" if self.revision else ""
            return f"https://huggingface.co/{self.name}{revision}"
        if self.kind == "url":
            return self.url or ""
        return str(self.local_path)

    @property
    def what(self) -> str:
        """How messages name the model."""
        return f"{self.description or 'model'} {self.name!r}"


# insightface's model pack (detection, recognition, landmarks, gender/age), as released on
# GitHub for insightface 0.7. The checksum is the one pinned by several independent projects
# for this release asset; a mismatch is refused, never used.
BUFFALO_L = ModelSpec(
    name="insightface/buffalo_l",
    kind="url",
    setting=FACE_SETTING,
    licence=INSIGHTFACE_LICENCE,
    folder_name="buffalo_l",
    url="https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip",
    sha256="80ffe37d8a5940d59a7384c201a2a38d4741f2f3c51eef46ebb28218a7b0ca2f",
    unpack=True,
    required=(("det_10g.onnx",), ("w600k_r50.onnx",)),
    description="face model pack",
)


def _looks_like_path(value: str) -> bool:
    """A hub id is "owner/name"; anything absolute, relative-dotted, home-relative or an
    existing directory is taken for a local model directory."""
    return (
        value.startswith((".", "~", os.sep))
        or Path(value).expanduser().is_absolute()
        or Path(value).expanduser().is_dir()
    )


def clip_spec(value: str | None = None, revision: str | None = None) -> ModelSpec:
    """The CLIP model to use: ``value``, else MEDIA_PIPELINE_CLIP_MODEL, else the default."""
    value = (value or settings.get(CLIP_SETTING) or DEFAULT_CLIP_MODEL).strip()
    common = {
        "setting": CLIP_SETTING,
        "licence": CLIP_LICENCE,
        "required": CLIP_REQUIRED,
        "description": "CLIP model",
    }
    if _looks_like_path(value):
        path = Path(value).expanduser().resolve()
        return ModelSpec(name=str(path), kind="local", local_path=path, **common)  # type: ignore[arg-type]
    return ModelSpec(
        name=value,
        kind="huggingface",
        folder_name=value.replace("/", "--"),
        revision=revision,
        allow_patterns=CLIP_FILES,
        fallback_patterns=CLIP_FALLBACK_FILES,
        **common,  # type: ignore[arg-type]
    )


def face_spec(value: str | None = None) -> ModelSpec:
    """The insightface pack: ``value``, else MEDIA_PIPELINE_FACE_MODEL, else buffalo_l."""
    value = (value or settings.get(FACE_SETTING) or "buffalo_l").strip()
    if value in {"buffalo_l", BUFFALO_L.name}:
        return BUFFALO_L
    if _looks_like_path(value):
        path = Path(value).expanduser().resolve()
        return ModelSpec(
            name=str(path),
            kind="local",
            setting=FACE_SETTING,
            licence=INSIGHTFACE_LICENCE,
            local_path=path,
            description="face model pack",
        )
    raise ValueError(
        f"{FACE_SETTING}={value!r}: expected buffalo_l or a local directory of insightface "
        "ONNX models"
    )


def face_backend_from_env() -> str:
    """MEDIA_PIPELINE_FACE_BACKEND, checked: auto (default), dlib, dlib-cnn or insightface.
    An environment setting, not run config: detection, recognition and clustering must all
    work on the same model's faces."""
    value = settings.get(FACE_BACKEND_SETTING).strip().lower() or "auto"
    if value not in FACE_BACKENDS:
        raise ValueError(f"{FACE_BACKEND_SETTING}={value!r}: expected one of {FACE_BACKENDS}")
    return value


def offline_from_env() -> bool:
    """True when MEDIA_PIPELINE_OFFLINE, HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set on."""
    return any(
        (settings.get(name) if name.startswith(settings.PREFIX) else os.environ.get(name, ""))
        .strip()
        .lower()
        in {"1", "true", "yes", "on"}
        for name in OFFLINE_SETTINGS
    )
