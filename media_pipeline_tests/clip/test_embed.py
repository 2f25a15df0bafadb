"""``embed_files``: the decode pool (a thread for workers <= 1, spawned processes otherwise)
feeding the model."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from media_pipeline.clip.embed import preprocess

torch = pytest.importorskip("torch", reason="the ml extra (torch, transformers) is not installed")
pytest.importorskip("transformers", reason="the ml extra (torch, transformers) is not installed")

from media_pipeline.clip.embed import embed_files  # noqa: E402
from media_pipeline.clip.model import ClipModel, load_clip  # noqa: E402


@pytest.fixture(scope="module")
def model(tiny_clip_dir: Path) -> ClipModel:
    return load_clip(tiny_clip_dir, device="cpu", threads=1, precision="float32")


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "two-processes"])
def test_embed_files(
    model: ClipModel, previews: dict[str, tuple[Path, Path]], tmp_path: Path, workers: int
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a jpeg")
    jobs = [(name, pair[1]) for name, pair in previews.items()]
    jobs += [("broken", broken), ("gone", tmp_path / "missing.webp")]
    results = dict(embed_files(model, iter(jobs), batch_size=3, workers=workers))
    assert set(results) == {key for key, _ in jobs}
    assert isinstance(results.pop("broken"), Exception)
    assert isinstance(results.pop("gone"), OSError)
    names = list(results)
    expected = model.embed_images(np.stack([preprocess(previews[n][1]) for n in names]))
    got = np.stack([results[n] for n in names])
    assert got.dtype == np.float32 and got.shape == (len(names), model.dim)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_stopping_early_stops_the_feed(
    model: ClipModel, previews: dict[str, tuple[Path, Path]]
) -> None:
    jobs = [(i, previews["original"][1]) for i in range(200)]
    before = threading.active_count()
    results = embed_files(model, jobs, batch_size=4, workers=0)
    first = [next(results) for _ in range(4)]
    assert [key for key, _ in first] == [0, 1, 2, 3]
    results.close()
    assert threading.active_count() == before  # the feeder thread has ended
