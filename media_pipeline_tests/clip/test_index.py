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


def test_an_update_reads_only_the_new_vectors_and_equals_a_new_build(tmp_path: Path) -> None:
    vectors = _random(300)
    catalog = {f"c{i:03}": vectors[i] for i in range(300)}
    asked: list[list] = []

    def read(keys: list) -> dict:
        asked.append(keys)
        return {key: catalog[key] for key in keys if key in catalog}

    first = [f"c{i:03}" for i in range(0, 300, 2)]
    SearchIndex.build(first, [catalog[k] for k in first], "model").save(tmp_path / "index")
    previous = SearchIndex.previous(tmp_path / "index", "model")
    assert previous is not None and SearchIndex.previous(tmp_path / "index", "other") is None

    # some gone, some new, and one asked for that went meanwhile
    now = sorted({*first[10:], "c001", "c003", "c299", "c999"})
    index, read_count = SearchIndex.update(previous, now, read, "model")
    assert asked == [["c001", "c003", "c299", "c999"]] and read_count == 4
    expected = [key for key in now if key != "c999"]
    full = SearchIndex.build(expected, [catalog[k] for k in expected], "model")
    assert index.keys == full.keys and index.model_name == "model"
    np.testing.assert_array_equal(index.vectors, full.vectors)

    # another model, or nothing before: every vector is read
    asked.clear()
    again, read_count = SearchIndex.update(previous, now, read, "other model")
    assert asked == [now] and read_count == len(now)
    np.testing.assert_array_equal(again.vectors, full.vectors)
    empty, read_count = SearchIndex.update(None, [], read, "model")
    assert len(empty) == 0 and read_count == 0


def test_an_update_over_vectors_of_another_length_builds_anew() -> None:
    previous = SearchIndex.build(["a", "b"], _random(2, dim=8), "model")
    longer = {key: vector for key, vector in zip("abc", _random(3, dim=16), strict=True)}
    index, read_count = SearchIndex.update(
        previous, ["a", "b", "c"], lambda keys: {k: longer[k] for k in keys}, "model"
    )
    assert index.dim == 16 and index.keys == ["a", "b", "c"] and read_count == 3
