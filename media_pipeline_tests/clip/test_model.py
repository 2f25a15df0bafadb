"""``load_clip`` and ClipModel on a tiny random-weight CLIP saved like a hub model.

Random weights cannot tell rocks from flowers, so these tests check what any CLIP must do
(shapes, unit norms, determinism, text and image paths, preprocessing equal to transformers')
and that near-identical inputs (re-encoded and resized copies) stay nearest: a continuity
property that holds for random weights too. What a real model knows is not tested here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the ml extra (torch, transformers) is not installed")
pytest.importorskip("transformers", reason="the ml extra (torch, transformers) is not installed")

from PIL import Image

from media_pipeline.clip.embed import preprocess
from media_pipeline.clip.index import SearchIndex
from media_pipeline.clip.model import ClipModel, kept_clip, load_clip
from media_pipeline.models.manifest import write_manifest
from media_pipeline_tests.clip.conftest import TINY_DIM
from media_pipeline_tests.clip.previews import COPIES


@pytest.fixture(scope="module")
def model(tiny_clip_dir: Path) -> ClipModel:
    return load_clip(str(tiny_clip_dir), device="cpu", threads=1, precision="float32")


def _norms(vectors: np.ndarray) -> np.ndarray:
    return np.linalg.norm(vectors, axis=1)


def test_loads_from_a_local_folder(model: ClipModel, tiny_clip_dir: Path) -> None:
    assert model.dim == TINY_DIM
    assert model.image_size == 224
    assert model.device.type == "cpu"
    # Not downloaded by ensure_model: the folder's name and a hash of its config.
    assert model.model_name.startswith(f"{tiny_clip_dir.name}-")
    assert (
        load_clip(tiny_clip_dir, device="cpu", threads=1, precision="float32").model_name
        == model.model_name
    )


def test_the_next_batch_takes_the_kept_model_until_the_folder_changes(
    tiny_clip_dir: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(tiny_clip_dir, tmp_path / "clip"))
    first = kept_clip(folder, device="cpu")
    assert kept_clip(folder, device="cpu") is first
    config = folder / "config.json"
    config.write_text(config.read_text() + "\n")  # another model in the same folder
    other = kept_clip(folder, device="cpu")
    assert other is not first and other.model_name != first.model_name


def test_a_downloaded_folder_is_named_by_its_hub_id(tiny_clip_dir: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(tiny_clip_dir, tmp_path / "openai--clip-vit-base-patch32"))
    write_manifest(folder, model="openai/clip-vit-base-patch32", source="test", licence="MIT")
    assert load_clip(folder, device="cpu", threads=1).model_name == "openai/clip-vit-base-patch32"


def test_image_embeddings(model: ClipModel, previews: dict[str, tuple[Path, Path]]) -> None:
    batch = np.stack([preprocess(previews[name][0]) for name in ("original", "silver_fir")])
    assert batch.dtype == np.uint8 and batch.shape == (2, 224, 224, 3)
    vectors = model.embed_images(batch)
    assert vectors.dtype == np.float32 and vectors.shape == (2, TINY_DIM)
    np.testing.assert_allclose(_norms(vectors), 1.0, atol=1e-5)
    np.testing.assert_array_equal(model.embed_images(batch), vectors)  # deterministic
    # One at a time gives the same vectors as in a batch.
    np.testing.assert_allclose(model.embed_images(batch[1:]), vectors[1:], atol=1e-5)
    assert model.embed_images(batch[:0]).shape == (0, TINY_DIM)
    with pytest.raises(ValueError, match="uint8"):
        model.embed_images(batch.astype(np.float32))


def test_pil_images_go_through_the_same_preprocessing(
    model: ClipModel, previews: dict[str, tuple[Path, Path]]
) -> None:
    path = previews["original"][1]  # the WebP thumbnail: no JPEG draft mode involved
    with Image.open(path) as image:
        from_pil = model.embed_images([image])
    np.testing.assert_allclose(from_pil, model.embed_images(preprocess(path)[None]), atol=1e-6)


def test_preprocessing_matches_transformers(
    model: ClipModel, tiny_clip_dir: Path, previews: dict[str, tuple[Path, Path]]
) -> None:
    """Our crop-box resize against transformers' resize-then-crop, on a full decode."""
    import torch
    from transformers.models import clip as clip_module

    cls = getattr(clip_module, "CLIPImageProcessorPil", None) or clip_module.CLIPImageProcessor
    processor = cls.from_pretrained(tiny_clip_dir)
    for name in ("original", "tanners_ridge"):
        with Image.open(previews[name][0]) as image:
            image = image.convert("RGB")
            ours = model.embed_images([image])
            theirs_pixels = processor(images=image, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            output = model.model.get_image_features(pixel_values=theirs_pixels)
        theirs = getattr(output, "pooler_output", output).numpy()
        theirs /= _norms(theirs)[:, None]
        assert float(ours[0] @ theirs[0]) > 0.999


def test_bfloat16_autocast_agrees_with_float32(
    model: ClipModel, tiny_clip_dir: Path, previews: dict[str, tuple[Path, Path]]
) -> None:
    """What "auto" picks on CPUs with native bfloat16 (emulated elsewhere: slower, same)."""
    fast = load_clip(tiny_clip_dir, device="cpu", threads=1, precision="bfloat16-autocast")
    assert fast.precision == "bfloat16-autocast" and model.precision == "float32"
    assert fast.model_name == model.model_name  # the same vectors, up to rounding
    batch = np.stack([preprocess(pair[1]) for pair in previews.values()])
    for ours, reference in [
        (fast.embed_images(batch), model.embed_images(batch)),
        (fast.embed_text(["rocks", "a photo"]), model.embed_text(["rocks", "a photo"])),
    ]:
        assert ours.dtype == np.float32
        np.testing.assert_allclose(_norms(ours), 1.0, atol=1e-5)
        assert (np.sum(ours * reference, axis=1) > 0.999).all()
    with pytest.raises(ValueError, match="precision"):
        load_clip(tiny_clip_dir, device="cpu", precision="int4")


def test_text_embeddings(model: ClipModel) -> None:
    vectors = model.embed_text(["a photo of rocks", "Rocks!", "a photo of rocks"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, TINY_DIM)
    np.testing.assert_allclose(_norms(vectors), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)  # padding changes nothing
    assert float(vectors[0] @ vectors[1]) < 0.9999
    np.testing.assert_allclose(model.embed_text("Rocks!")[0], vectors[1], atol=1e-5)
    assert model.embed_text("word " * 200).shape == (1, TINY_DIM)  # truncated to 77 tokens
    assert model.embed_text([]).shape == (0, TINY_DIM)


@pytest.mark.parametrize("which", [0, 1], ids=["preview", "thumbnail"])
def test_similar_finds_the_copies_of_a_photo(
    model: ClipModel, previews: dict[str, tuple[Path, Path]], which: int
) -> None:
    names = list(previews)
    vectors = model.embed_images(np.stack([preprocess(previews[n][which]) for n in names]))
    index = SearchIndex.build(names, vectors, model.model_name)
    hits = index.similar("original", limit=len(names))
    assert hits[0] == ("original", pytest.approx(1.0, abs=1e-5))
    copies = {name for name, _ in hits[1 : len(COPIES)]}
    assert copies == set(COPIES) - {"original"}, hits
    # Every copy scores above every different photo (random weights: by a small margin).
    worst_copy = min(score for name, score in hits if name in COPIES)
    best_other = max(score for name, score in hits if name not in COPIES)
    assert worst_copy > best_other, hits


def test_the_model_folder_is_what_users_get(tiny_clip_dir: Path) -> None:
    names = {path.name for path in tiny_clip_dir.iterdir()}
    assert {"config.json", "model.safetensors", "preprocessor_config.json"} <= names
    assert "tokenizer.json" in names or {"vocab.json", "merges.txt"} <= names
    config = json.loads((tiny_clip_dir / "config.json").read_text())
    assert config["projection_dim"] == TINY_DIM
