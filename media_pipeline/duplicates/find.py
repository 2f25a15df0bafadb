"""``exact_groups`` and ``near_groups``: exact duplicates (same content hash) and near
duplicates (a re-encoded, resized or converted copy), grouped, each group with a suggested
keeper.

Near duplicates need both signals: CLIP cosine >= ``threshold`` (the candidates; cheap to
compare in bulk) and pHash Hamming distance <= ``max_distance`` (the check; computed only
for candidates). CLIP alone groups two shots of a burst; a perceptual hash alone would need
its own all-pairs search and misses recoloured copies less gracefully.

Candidate pairs come from blockwise products of the normalised vectors (``block`` × ``block``
scores at a time, 16 MB for 2048): memory stays flat, time is quadratic, about a minute for
10^5 photos on two cores. So ``search_near`` starts from what an earlier search compared
(``Compared``: its contents and accepted pairs) and compares only the new contents with all
the others: linear for the photos a day adds. One vector per content hash is compared (exact
duplicates share theirs). Groups are the connected components of the accepted pairs
(union-find), so A~B and B~C group A, B and C even when A and C fall just short of the
thresholds.

The keeper: the most pixels, then the earliest capture time, then the format that is most
likely the original (``FORMAT_RANK``: camera RAW, then HEIF-family files as phones write
them, JPEG, TIFF, then formats photos are usually converted or exported into: PNG, WebP,
GIF/BMP), then the larger file (at the same size and format: the less compressed one), then
the path, so the choice is deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from media_pipeline.duplicates.phash import distance, hash_file

__all__ = [
    "DEFAULT_MAX_DISTANCE",
    "DEFAULT_THRESHOLD",
    "FORMAT_RANK",
    "Compared",
    "Group",
    "Item",
    "NearSearch",
    "exact_groups",
    "keeper_order",
    "near_groups",
    "search_near",
]

DEFAULT_THRESHOLD = 0.95
# Re-encodes (JPEG q60, WebP q50), resizes and brightness changes of the corpus photos stay
# within 0-3 bits; different photos of the corpus are 20-40 bits apart (median 30); a 5%
# crop is about 12.
DEFAULT_MAX_DISTANCE = 10

FORMAT_RANK: dict[str, int] = {
    "raw": 0,
    "image/heic": 1,
    "image/heif": 1,
    "image/avif": 1,
    "image/jxl": 1,
    "image/jpeg": 2,
    "image/tiff": 3,
    "image/png": 4,
    "image/webp": 5,
    "image/gif": 6,
    "image/bmp": 6,
}
_OTHER_FORMAT = 7


@dataclass(frozen=True)
class Item:
    """One catalogued file. ``vector``: its CLIP embedding (None: exact duplicates only).
    ``image``: the file the perceptual hash is computed from, normally its rendered
    thumbnail (default: ``path``); ``phash``: a precomputed hash, to skip that."""

    key: Hashable
    content_hash: str
    path: str | Path
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    mime: str | None = None
    size: int = 0
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    image: str | Path | None = None
    phash: int | None = None

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass(frozen=True)
class Group:
    """Files that are copies of one photo, the suggested keeper first."""

    items: list[Item]
    kind: Literal["exact", "near"]  # "exact": every member has the same content
    similarity: float  # the lowest cosine among the pairs that joined it (1.0 for exact)

    @property
    def keeper(self) -> Item:
        return self.items[0]

    @property
    def others(self) -> list[Item]:
        return self.items[1:]


def _format_rank(mime: str | None) -> int:
    if not mime:
        return _OTHER_FORMAT
    mime = mime.lower()
    if mime.startswith("image/x-"):  # the catalog's RAW types: image/x-canon-cr2, …-dng
        return FORMAT_RANK["raw"]
    return FORMAT_RANK.get(mime, _OTHER_FORMAT)


def _time_key(taken_at: datetime | None) -> tuple[bool, datetime]:
    if taken_at is None:
        return (True, datetime.min)
    if taken_at.tzinfo is not None:
        taken_at = taken_at.astimezone(UTC).replace(tzinfo=None)
    return (False, taken_at)


def keeper_order(item: Item) -> tuple:
    """Sort key: the best keeper sorts first (see the module docstring)."""
    return (
        -item.pixels,
        _time_key(item.taken_at),
        _format_rank(item.mime),
        -item.size,
        str(item.path),
    )


class _UnionFind:
    def __init__(self, count: int) -> None:
        self.parent = list(range(count))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def candidate_pairs(
    vectors: np.ndarray, threshold: float, block: int = 2048
) -> Iterable[tuple[int, int, float]]:
    """``(i, j, cosine)`` with i < j for every pair of rows of ``vectors`` (normalised)
    at or above ``threshold``, a block of scores at a time."""
    count = len(vectors)
    for start in range(0, count, block):
        rows = vectors[start : start + block]
        for other in range(start, count, block):
            scores = rows @ vectors[other : other + block].T
            if other == start:
                upper = np.triu(np.ones(scores.shape, dtype=bool), k=1)  # each pair once
                scores = np.where(upper, scores, -np.inf)
            found_i, found_j = np.nonzero(scores >= threshold)
            for i, j in zip(found_i.tolist(), found_j.tolist(), strict=True):
                yield start + i, other + j, float(scores[i, j])


def pairs_with(
    vectors: np.ndarray, chosen: Sequence[int], threshold: float, block: int = 2048
) -> Iterable[tuple[int, int, float]]:
    """``(i, j, cosine)`` with i < j for every pair at or above ``threshold`` that has a
    ``chosen`` row on one side at least (each pair once), as many chosen rows at a time as
    make ``block`` × ``block`` scores."""
    is_chosen = np.zeros(len(vectors), dtype=bool)
    is_chosen[list(chosen)] = True
    columns = np.arange(len(vectors))
    step = max(1, block * block // max(len(vectors), 1))
    for start in range(0, len(chosen), step):
        rows = np.asarray(chosen[start : start + step])
        scores = vectors[rows] @ vectors.T
        # a pair of two chosen rows is found from its smaller row only
        keep = ~is_chosen[None, :] | (columns[None, :] > rows[:, None])
        found_i, found_j = np.nonzero((scores >= threshold) & keep)
        for a, j in zip(found_i.tolist(), found_j.tolist(), strict=True):
            i = int(rows[a])
            yield min(i, j), max(i, j), float(scores[a, j])


def exact_groups(items: Sequence[Item]) -> list[Group]:
    """Files with the same content, two or more, the keeper first; content hashes alone (no
    model), largest first (ties: input order)."""
    by_content: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_content[item.content_hash].append(item)
    groups = [
        Group(items=sorted(copies, key=keeper_order), kind="exact", similarity=1.0)
        for copies in by_content.values()
        if len(copies) > 1
    ]
    groups.sort(key=lambda group: -len(group.items))
    return groups


@dataclass(frozen=True)
class Compared:
    """What an earlier search established, so the next one compares only what is new: the
    contents it compared with every other (their perceptual hashes could be made) and the
    pairs among them it accepted, as content hashes with their cosine. A pair depends only
    on its two contents (their vectors, their thumbnails' hashes), so it holds as long as the
    model, ``threshold`` and ``max_distance`` do; the caller keeps it per those."""

    contents: frozenset[str] = frozenset()
    pairs: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True)
class NearSearch:
    """``near_groups``' groups, what the next search may start from, and how many contents
    this one had to compare with all the others."""

    groups: list[Group]
    compared: Compared
    new_contents: int


def near_groups(
    items: Sequence[Item],
    threshold: float = DEFAULT_THRESHOLD,
    max_distance: int | None = DEFAULT_MAX_DISTANCE,
    block: int = 2048,
    hasher: Callable[[str | Path], int] = hash_file,
) -> list[Group]:
    """Groups of two or more different contents that show the same picture, largest first
    (``search_near`` from nothing known)."""
    return search_near(items, threshold, max_distance, block, hasher).groups


def search_near(
    items: Sequence[Item],
    threshold: float = DEFAULT_THRESHOLD,
    max_distance: int | None = DEFAULT_MAX_DISTANCE,
    block: int = 2048,
    hasher: Callable[[str | Path], int] = hash_file,
    known: Compared | None = None,
) -> NearSearch:
    """Near-duplicate groups, comparing only the contents ``known`` has not compared yet with
    every other (all of them when ``known`` is None): the same groups as a search from
    nothing, in time linear in the library for a few new photos instead of quadratic.

    Each content takes part once, through its best copy with a vector (copies of it are an
    exact group of their own, which a near group never swallows). ``max_distance`` None
    skips the perceptual-hash check (CLIP alone). A file whose hash cannot be computed
    (unreadable thumbnail) joins no group, and is compared again next time: a wrong
    "duplicate" is worse than a missed one when the user deletes what it suggests.
    """
    best: dict[str, Item] = {}
    for item in sorted((i for i in items if i.vector is not None), key=keeper_order):
        best.setdefault(item.content_hash, item)
    order = {item.content_hash: index for index, item in enumerate(items)}
    rows = sorted(best.values(), key=lambda item: order[item.content_hash])
    known = known or Compared()
    new = [i for i, item in enumerate(rows) if item.content_hash not in known.contents]
    if len(rows) < 2:
        compared = Compared(frozenset(item.content_hash for item in rows))
        return NearSearch([], compared, len(new))
    row_of = {item.content_hash: index for index, item in enumerate(rows)}
    matrix = np.stack([np.asarray(item.vector, dtype=np.float32) for item in rows])
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    hashes: dict[int, int | None] = {}

    def perceptual(index: int) -> int | None:
        if index not in hashes:
            item = rows[index]
            if item.phash is not None:
                hashes[index] = item.phash
            else:
                try:
                    hashes[index] = hasher(item.image or item.path)
                except (OSError, ValueError):
                    hashes[index] = None
        return hashes[index]

    if 2 * len(new) >= len(rows):  # mostly new: comparing every pair once costs less
        accepted: list[tuple[int, int, float]] = []
        found = candidate_pairs(matrix, threshold, block)
    else:
        accepted = [
            (row_of[a], row_of[b], score)
            for a, b, score in known.pairs
            if a in row_of and b in row_of and a in known.contents and b in known.contents
        ]
        found = pairs_with(matrix, new, threshold, block)
    for i, j, score in found:
        if max_distance is not None:
            hash_i, hash_j = perceptual(i), perceptual(j)
            if hash_i is None or hash_j is None or distance(hash_i, hash_j) > max_distance:
                continue
        accepted.append((i, j, score))

    union = _UnionFind(len(rows))
    lowest: dict[int, float] = {}  # component root → lowest accepted cosine
    for i, j, score in sorted(accepted):
        low = min(score, lowest.get(union.find(i), 1.0), lowest.get(union.find(j), 1.0))
        if union.union(i, j):
            lowest[union.find(i)] = low
    components: dict[int, list[int]] = defaultdict(list)
    for index in range(len(rows)):
        components[union.find(index)].append(index)
    groups = [
        (
            min(members),
            Group(
                items=sorted((rows[i] for i in members), key=keeper_order),
                kind="near",
                similarity=lowest.get(root, 1.0),
            ),
        )
        for root, members in components.items()
        if len(members) > 1
    ]
    groups.sort(key=lambda pair: (-len(pair[1].items), pair[0]))
    unhashable = {rows[i].content_hash for i, value in hashes.items() if value is None}
    compared = Compared(
        frozenset(item.content_hash for item in rows) - unhashable,
        tuple(
            sorted((rows[i].content_hash, rows[j].content_hash, score) for i, j, score in accepted)
        ),
    )
    return NearSearch([group for _, group in groups], compared, len(new))
