"""exact_groups and near_groups on the corpus: el_torcal_rocks.jpg, its byte-identical twin from
formats/jpeg, and made copies (JPEG q60, half size, WebP), among the other nature photos.

The vectors here are model-free (a 16×16 colour miniature of the thumbnail, mean-centred):
like a CLIP embedding, near-identical pictures get cosine ~0.99, and unlike CLIP, different
photos score low, so what is tested is the grouping, the perceptual-hash guard and the keeper
rule, not a model. No torch needed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media_pipeline.duplicates.compared import load_compared, save_compared
from media_pipeline.duplicates.find import (
    Compared,
    Item,
    candidate_pairs,
    exact_groups,
    keeper_order,
    near_groups,
    pairs_with,
    search_near,
)
from media_pipeline.duplicates.phash import dhash, distance, hash_file, phash
from media_pipeline.metadata.formats import EXTENSION_MIME
from media_pipeline_tests.clip.previews import COPIES, make_photos, render_previews

TAKEN = datetime(2016, 7, 3, 11, 30)


def _miniature(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB").resize((16, 16)), dtype=np.float32).ravel()
    return pixels - pixels.mean()


@pytest.fixture(scope="module")
def items(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Item]:
    photos = make_photos(tmp_path_factory.mktemp("photos"))
    previews = render_previews(photos, tmp_path_factory.mktemp("previews"))
    out = {}
    for name, path in photos.items():
        thumbnail = previews[name][1]
        with Image.open(path) as image:
            width, height = image.size
        out[name] = Item(
            key=name,
            content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
            path=path,
            width=width,
            height=height,
            taken_at=TAKEN if name in COPIES else TAKEN + timedelta(days=len(out)),
            mime=EXTENSION_MIME[path.suffix.lower()],
            size=path.stat().st_size,
            vector=_miniature(thumbnail),
            image=thumbnail,
        )
    return out


def test_exact_and_near_duplicates_are_grouped(items: dict[str, Item]) -> None:
    assert items["original"].content_hash == items["twin"].content_hash
    everything = list(items.values())
    groups = exact_groups(everything) + near_groups(everything)
    assert [(g.kind, [i.key for i in g.items]) for g in groups] == [
        # Byte-identical copies are an exact group whatever else looks like them.
        ("exact", ["original", "twin"]),
        # The near group holds one file per content: its best copy. Keeper: same pixels,
        # date and format for original/q60: the larger file; the WebP conversion after the
        # JPEGs; the half-size copy last.
        ("near", ["original", "q60", "webp", "half"]),
    ]
    near = groups[1]
    assert 0.95 <= near.similarity < 1.0
    assert near.keeper.key == "original"
    assert [item.key for item in near.others] == ["q60", "webp", "half"]


def test_without_vectors_only_exact_duplicates(items: dict[str, Item]) -> None:
    plain = [Item(i.key, i.content_hash, i.path, i.width, i.height) for i in items.values()]
    assert [(g.kind, g.similarity, [i.key for i in g.items]) for g in exact_groups(plain)] == [
        ("exact", 1.0, ["original", "twin"])
    ]
    assert near_groups(plain) == []


def test_the_perceptual_hash_keeps_similar_vectors_apart(items: dict[str, Item]) -> None:
    """Two different photos whose vectors say "the same" (as CLIP says of two shots of one
    scene): the pHash check refuses them; without it they would be grouped."""
    same = np.ones(8, np.float32)
    pair = [
        Item("a", "ha", items["silver_fir"].path, vector=same, image=items["silver_fir"].image),
        Item(
            "b", "hb", items["wood_anemones"].path, vector=same, image=items["wood_anemones"].image
        ),
    ]
    assert near_groups(pair) == []
    assert [i.key for i in near_groups(pair, max_distance=None)[0].items] == ["a", "b"]


def test_an_unreadable_thumbnail_joins_no_near_group(
    tmp_path: Path, items: dict[str, Item]
) -> None:
    broken = tmp_path / "broken.webp"
    broken.write_bytes(b"RIFF")
    vector = items["original"].vector
    pair = [
        Item("good", "h1", items["original"].path, vector=vector, image=items["original"].image),
        Item("bad", "h2", broken, vector=vector),
    ]
    assert near_groups(pair) == []


def test_candidate_pairs_blockwise_equal_all_pairs() -> None:
    rng = np.random.default_rng(3)
    base = rng.standard_normal((10, 24)).astype(np.float32)
    vectors = np.repeat(base, 5, axis=0) + 0.15 * rng.standard_normal((50, 24)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = vectors @ vectors.T
    expected = {(i, j) for i in range(50) for j in range(i + 1, 50) if scores[i, j] >= 0.9}
    assert expected  # the clusters give pairs
    for block in (7, 16, 64):
        found = {(i, j) for i, j, _ in candidate_pairs(vectors, 0.9, block=block)}
        assert found == expected


def _clustered(count: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((count // 5, 24)).astype(np.float32)
    noise = 0.15 * rng.standard_normal((count, 24)).astype(np.float32)
    vectors = np.repeat(base, 5, axis=0) + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_pairs_with_chosen_rows_are_the_pairs_that_touch_them() -> None:
    vectors = _clustered(50)
    every = {(i, j) for i, j, _ in candidate_pairs(vectors, 0.9)}
    chosen = [3, 4, 17, 30, 49]
    expected = {(i, j) for i, j in every if i in chosen or j in chosen}
    assert expected
    for block in (2, 8, 64):  # 1, 1 and all 5 chosen rows a step
        found = [(i, j) for i, j, _ in pairs_with(vectors, chosen, 0.9, block)]
        assert len(found) == len(set(found))  # each pair once, also between two chosen rows
        assert set(found) == expected


def _vector_items(vectors: np.ndarray) -> list[Item]:
    return [
        # one in five of each cluster looks different to the perceptual hash
        Item(f"f{i}", f"c{i:03}", f"/photos/{i}.jpg", vector=vector, phash=i // 5 + i % 5 // 4 * 64)
        for i, vector in enumerate(vectors)
    ]


def _shape(groups: list) -> list[tuple[list[str], float]]:
    return [([item.key for item in group.items], round(group.similarity, 6)) for group in groups]


def test_a_search_from_what_was_compared_finds_what_a_new_search_finds(tmp_path: Path) -> None:
    """Photos added, some removed: starting from the last search's Compared (through its
    file), only the new contents are compared, and the groups are those of a full search."""
    everything = _vector_items(_clustered(60))
    before = [item for index, item in enumerate(everything) if index % 4 != 1]
    first = search_near(before, 0.9, 0)
    assert first.new_contents == len(before) and first.groups
    path = tmp_path / "index" / "near.json"
    save_compared(path, ("v1", "model", 0.9, 0), first.compared)
    assert load_compared(path, ("v1", "other model", 0.9, 0)) is None
    known = load_compared(path, ("v1", "model", 0.9, 0))
    assert known == first.compared

    now = [item for index, item in enumerate(everything) if index % 6 != 0]  # some gone
    again = search_near(now, 0.9, 0, known=known)
    full = search_near(now, 0.9, 0)
    assert again.new_contents == sum(1 for index in range(60) if index % 4 == 1 and index % 6)
    assert _shape(again.groups) == _shape(full.groups)
    assert again.compared.contents == full.compared.contents
    # The same pairs; their cosines as one product of all rows or of the new rows with the
    # others computes them, equal to float32 rounding (BLAS blocks the two differently).
    pairs = {(a, b): score for a, b, score in again.compared.pairs}
    assert pairs == pytest.approx({(a, b): score for a, b, score in full.compared.pairs}, abs=1e-6)
    assert search_near(now, 0.9, 0, known=again.compared).new_contents == 0


def test_a_content_whose_hash_failed_is_compared_again(tmp_path: Path) -> None:
    broken = tmp_path / "broken.webp"
    broken.write_bytes(b"RIFF")
    vector = np.ones(8, dtype=np.float32)
    items = [
        Item("good", "h1", "/photos/good.jpg", vector=vector, phash=7),
        Item("bad", "h2", broken, vector=vector),
    ]
    search = search_near(items, 0.9, 10)
    assert search.groups == [] and search.compared == Compared(frozenset({"h1"}))
    assert search_near(items, 0.9, 10, known=search.compared).new_contents == 1


def test_keeper_rule() -> None:
    def item(key: str, **kwargs: object) -> Item:
        fields = {"width": 4000, "height": 3000, "taken_at": TAKEN, "mime": "image/jpeg"}
        fields.update(kwargs)
        return Item(key, key, f"/photos/{key}", **fields)  # type: ignore[arg-type]

    def order(*candidates: Item) -> list[str]:
        return [c.key for c in sorted(candidates, key=keeper_order)]

    # Resolution first, even over an earlier date or a RAW.
    assert order(item("small", width=2000, mime="image/x-canon-cr2"), item("big")) == [
        "big",
        "small",
    ]
    # Then the earliest capture time; unknown dates last; aware times compared in UTC.
    berlin = timezone(timedelta(hours=2))
    assert order(
        item("none", taken_at=None),
        item("late", taken_at=TAKEN + timedelta(hours=1)),
        item("aware", taken_at=(TAKEN - timedelta(hours=1)).replace(tzinfo=UTC).astimezone(berlin)),
    ) == ["aware", "late", "none"]
    # Then the format most likely to be the original.
    formats = {
        "raw": "image/x-adobe-dng",
        "heic": "image/heic",
        "jpeg": "image/jpeg",
        "tiff": "image/tiff",
        "png": "image/png",
        "webp": "image/webp",
        "gif": "image/gif",
        "unknown": None,
    }
    candidates = [item(name, mime=mime) for name, mime in reversed(formats.items())]
    assert order(*candidates) == list(formats)
    # Then the larger file (less compressed), then the path.
    assert order(item("b", size=100), item("a", size=100), item("c", size=900)) == ["c", "a", "b"]


def test_perceptual_hashes(items: dict[str, Item]) -> None:
    reference = hash_file(items["original"].path)
    assert reference == hash_file(items["twin"].path)
    for name in ("q60", "half", "webp"):
        assert distance(reference, hash_file(items[name].path)) <= 3
        assert distance(reference, hash_file(items[name].image)) <= 3  # the thumbnails
    for name in items:
        if name not in COPIES:
            assert distance(reference, hash_file(items[name].path)) > 10
    with Image.open(items["original"].path) as image:
        assert phash(image) == reference and 0 < dhash(image) < 2**64
    assert distance(0b1011, 0b0110) == 3
