"""A tiny random-weight CLIP model saved like a hub model (config, safetensors, tokenizer,
preprocessor config), loaded through ``load_clip`` like users' models; and rendered previews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from media_pipeline_tests.clip.previews import make_photos, render_previews

TINY_DIM = 16


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's byte-level alphabet: every byte as a printable character."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def tiny_vocabulary() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary (every byte, alone and word-final) and three merges."""
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in _bytes_to_unicode().values():
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    merges = [("r", "o"), ("ro", "c"), ("k", "s</w>")]
    for token in ("ro", "roc", "ks</w>"):
        vocab[token] = len(vocab)
    return vocab, merges


@pytest.fixture(scope="session")
def tiny_clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPTokenizer
    from transformers.models import clip as clip_module

    folder = tmp_path_factory.mktemp("tiny-clip")
    vocab, merges = tiny_vocabulary()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)
    tokenizer.save_pretrained(folder)
    config = CLIPConfig(
        text_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "vocab_size": len(vocab),
            "max_position_embeddings": 77,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 224,
            "patch_size": 32,
        },
        projection_dim=TINY_DIM,
    )
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(folder)
    # The PIL backend: the default one wants torchvision, which the ml extra does not need.
    processor = (
        getattr(clip_module, "CLIPImageProcessorPil", None) or clip_module.CLIPImageProcessor
    )
    processor().save_pretrained(folder)
    saved = json.loads((folder / "preprocessor_config.json").read_text())
    assert saved["crop_size"] == {"height": 224, "width": 224}, saved
    return folder


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_photos(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="session")
def previews(
    photos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, Path]]:
    return render_previews(photos, tmp_path_factory.mktemp("previews"))
