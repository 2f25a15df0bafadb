"""SearchIndex: exact top-k cosine search, save/load (memory-mapped), similar()."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from media_pipeline.clip.index import SearchIndex, normalise


def _random(count: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)


def test_search_is_exact_top_k() -> None:
    vectors = _random(1000)
    keys = [f"file-{i}" for i in range(1000)]
    index = SearchIndex.build(keys, vectors, "test-model")
    np.testing.assert_allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-6)
    query = _random(1, seed=1)[0]
    hits = index.search(query, limit=10)
    scores = normalise(vectors) @ normalise(query)
    expected = np.argsort(-scores)[:10]
    assert [key for key, _ in hits] == [keys[i] for i in expected]
    np.testing.assert_allclose([s for _, s in hits], scores[expected], atol=1e-6)
    assert len(index.search(query, limit=5000)) == 1000  # a limit above the count
    assert index.search(query, limit=0) == []
    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.ones(7, np.float32))


def test_similar_puts_the_key_first_even_among_exact_copies() -> None:
    vectors = _random(50)
    vectors[7] = vectors[3] * 2.0  # the same direction: cosine 1.0 with 3
    index = SearchIndex.build(list(range(50)), vectors)
    hits = index.similar(7, limit=5)
    assert [key for key, _ in hits[:2]] == [7, 3]
    assert hits[1][1] == pytest.approx(1.0, abs=1e-6)
    assert len(hits) == 5
    assert [key for key, _ in index.similar(3, limit=2)] == [3, 7]
    with pytest.raises(KeyError):
        index.similar(999)


def test_save_and_load(tmp_path: Path) -> None:
    vectors = _random(100)
    index = SearchIndex.build([f"k{i}" for i in range(99)] + [42], vectors, "m@rev")
    index.save(tmp_path / "index")
    index.save(tmp_path / "index")  # replacing an older one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]
    loaded = SearchIndex.load(tmp_path / "index")
    assert isinstance(loaded.vectors, np.memmap)
    assert loaded.keys[-1] == 42 and loaded.model_name == "m@rev" and loaded.dim == 32
    query = vectors[5]
    assert loaded.search(query, 3) == index.search(query, 3)
    assert loaded.similar("k5", 3) == index.similar("k5", 3)
    in_memory = SearchIndex.load(tmp_path / "index", mmap=False)
    assert not isinstance(in_memory.vectors, np.memmap)


def test_build_checks_its_input() -> None:
    with pytest.raises(ValueError, match="unique"):
        SearchIndex.build(["a", "a"], _random(2))
    with pytest.raises(ValueError, match="keys"):
        SearchIndex.build(["a"], _random(2))
    empty = SearchIndex.build([], np.zeros((0, 8), np.float32))
    assert empty.search(np.ones(8, np.float32), 5) == []
