"""Grouping faces into people, keeping the people that already exist.

Why average linkage, measured on unit-length dlib embeddings (bench/faces.py --quality):
on ``../shared/corpus/faces-lfw`` (10 people x 10 photos, the face nearest each photo's
centre) same-person distances reach 0.465 while different-person ones start at 0.395, so
the two ranges overlap and any single-link rule (DBSCAN, Chinese whispers, "join through
the nearest face") chains people together: DBSCAN at 0.42 reaches an adjusted Rand index
of 0.36, from 0.44 on everything is one cluster. Linkage over whole groups does not chain:
average linkage is perfect (ARI 1.0) from 0.43 to 0.48 on faces-lfw and from 0.40 to 0.49
on ``../shared/corpus/faces``; complete linkage needs 0.48–0.50 and breaks people up below.

The linkage used is the root mean square of the distances between the faces of two groups,
``sqrt(2 - 2 a·b)`` for the mean vectors ``a`` and ``b`` of unit-length faces: average
linkage over squared distances (UPGMA; the same partitions as plain average linkage on both
corpora). Pairs of faces closer than the cut are found blockwise (a sparse graph, never an
n² matrix); two groups with no such pair can never be closer than the cut as wholes, so
each connected component of that graph is clustered on its own, exactly: a component of
up to ``DENSE_COMPONENT`` faces (a person and its look-alikes; in the benchmark, all) by
scipy's average linkage over its squared distances, a larger one by merging reciprocal
nearest groups round by round over its edges, which needs only each group's sum and size
and gives the greedy algorithm's hierarchy (the linkage is reducible). Measured on 100,000
synthetic faces (bench/faces.py --cluster, 2 shared cores): rounds over the whole graph
took 87 s and +394 MB (re-scoring every edge each of ~40 rounds), per component 20 s and
+2 MB, nearly all of it the pair search (the linkage ~1 s); the tests check both paths
against scipy's.

A face joins an existing person by the same rule, as a group of one: when its linkage to
the person as a whole (all of its faces) is within the cut, never through one near face.
Measured on both corpora, a face's linkage to its own person (left out) is at most 0.426,
to another person at least 0.449: the dlib cut 0.44 lies between, and within the perfect
clustering range.

Stability comes before the algorithm: faces already in a person are never regrouped here.
``GROUPING_VERSION`` is part of the fingerprint a catalog remembers: when it (or the cut, or
``min_faces``) changes, unnamed people are regrouped once (faces/assets.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_MAX_DISTANCE",
    "GROUPING_VERSION",
    "Grouping",
    "average_linkage",
    "close_pairs",
    "close_people",
    "fingerprint",
    "group_faces",
    "inherit_ids",
    "join_existing",
    "linkage_distances",
    "max_distance_for",
    "person_means",
]

GROUPING_VERSION = "rms-average-linkage/1"
# The linkage within which two groups of faces (or a face and a person) are one person.
# dlib: measured, see above. insightface (ArcFace): Immich's cosine distance 0.5, i.e.
# sqrt(2 * 0.5) = 1.0 on the unit sphere (not measured: the real buffalo_l weights cannot be
# downloaded in this environment).
DEFAULT_MAX_DISTANCE = {"dlib": 0.44, "insightface": 1.0}
PAIR_BLOCK_BYTES = 32 * 2**20  # similarity block of the pair search (memory stays flat)
EDGE_CHUNK = 16_384  # edges whose linkage is computed at once (2 x 16 MB of sums)
DENSE_COMPONENT = 2048  # faces up to which a component is clustered densely (16 MB)


def max_distance_for(model: str, configured: float | None = None) -> float:
    if configured is not None:
        return configured
    return DEFAULT_MAX_DISTANCE["dlib" if model.startswith("dlib/") else "insightface"]


def fingerprint(max_distance: float, min_faces: int) -> str:
    """What made a grouping: a catalog grouped under another fingerprint is regrouped."""
    text = f"{GROUPING_VERSION};cut={max_distance:.4f};min_faces={min_faces}"
    return f"{GROUPING_VERSION}:{hashlib.sha1(text.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class Grouping:
    """``joined``: face index -> existing person id. ``clusters``: lists of face indexes,
    each a new person. Everything else stays unknown."""

    joined: dict[int, int]
    clusters: list[list[int]]


def _similarity_floor(cut: float) -> float:
    """sqrt(2 - 2s) <= cut  <=>  s >= 1 - cut² / 2."""
    return 1.0 - cut * cut / 2.0


def close_pairs(x: np.ndarray, cut: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j, int32) of unit rows within ``cut`` of each other, found in blocks
    of rows so that memory holds one block of similarities and the pairs, never n²."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    count = len(x)
    floor = _similarity_floor(cut)
    block = max(1, PAIR_BLOCK_BYTES // (4 * max(count, 1)))
    rows, cols = [], []
    for start in range(0, count, block):
        stop = min(start + block, count)
        # flatnonzero and a division: a third faster than a 2-d nonzero on these blocks.
        near = np.flatnonzero(x[start:stop] @ x[start:].T >= floor)
        row, col = np.divmod(near, count - start)
        upper = col > row  # the block's own diagonal and below are not pairs
        rows.append((row[upper] + start).astype(np.int32))
        cols.append((col[upper] + start).astype(np.int32))
    if not rows:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(rows), np.concatenate(cols)


def _similarities(sums: np.ndarray, counts: np.ndarray, i: np.ndarray, j: np.ndarray):
    """Mean dot product of the faces of groups i and j (1 - linkage² / 2), chunked."""
    out = np.empty(len(i), dtype=np.float64)
    for start in range(0, len(i), EDGE_CHUNK):
        a, b = i[start : start + EDGE_CHUNK], j[start : start + EDGE_CHUNK]
        out[start : start + EDGE_CHUNK] = np.einsum("ij,ij->i", sums[a], sums[b]) / (
            counts[a] * counts[b]
        )
    return out


def average_linkage(x: np.ndarray, cut: float) -> np.ndarray:
    """Group label of each unit row (the smallest row of its group): average linkage (RMS
    distance) cut at ``cut``.

    Groups with no close pair never merge, so each connected component of the close-pair
    graph is clustered on its own: a component of at most ``DENSE_COMPONENT`` faces by
    scipy's average linkage over its squared distances (C, and a few MB), a larger one by
    reciprocal-nearest-neighbour rounds over its edges (``_sparse_average_linkage``).
    """
    # scipy only here: every process that loads the definitions imports this module.
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import pdist

    count = len(x)
    labels = np.arange(count)
    if count < 2:
        return labels
    i, j = close_pairs(x, cut)
    graph = coo_matrix((np.ones(len(i), np.int8), (i, j)), shape=(count, count))
    component = connected_components(graph, directed=False)[1]
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.diff(component[order])) + 1
    large = []
    for members in np.split(order, bounds):
        if len(members) > DENSE_COMPONENT:
            large.append(component[members[0]])
        elif len(members) > 1:
            tree = linkage(pdist(x[members], "sqeuclidean"), "average")
            flat = fcluster(tree, cut * cut, "distance")
            smallest = np.full(flat.max() + 1, count)
            np.minimum.at(smallest, flat, members)
            labels[members] = smallest[flat]
    if large:
        # Re-indexed to the large components' rows: the group sums hold only those.
        inside = np.isin(component[i], large)
        rows = np.flatnonzero(np.isin(component, large))
        local_i = np.searchsorted(rows, i[inside]).astype(np.int32)
        local_j = np.searchsorted(rows, j[inside]).astype(np.int32)
        local = _sparse_average_linkage(x[rows], local_i, local_j, cut, np.arange(len(rows)))
        labels[rows] = rows[local]
    return labels


def _sparse_average_linkage(
    x: np.ndarray, i: np.ndarray, j: np.ndarray, cut: float, labels: np.ndarray
) -> np.ndarray:
    """``labels`` with the rows joined by edges (i, j) grouped by average linkage.

    Reciprocal-nearest-neighbour rounds: every round each group finds its most similar
    neighbour, mutual pairs merge, and edges whose linkage exceeds the cut are dropped (a
    merged group's linkage to a third is the size-weighted mean of its parts', so such an
    edge can never come back below the cut). Merging reciprocal nearest groups round by
    round gives exactly the hierarchy of the greedy algorithm (the linkage is reducible).
    """
    count = len(x)
    sums = np.asarray(x, dtype=np.float64).copy()
    counts = np.ones(count, dtype=np.float64)
    floor = _similarity_floor(cut)
    similarity = _similarities(sums, counts, i, j)
    while len(i):
        alive = similarity >= floor
        i, j, similarity = i[alive], j[alive], similarity[alive]
        if not len(i):
            break
        # Each group's best neighbour: sort both directions by (group, -similarity, other).
        nodes, others = np.concatenate([i, j]), np.concatenate([j, i])
        order = np.lexsort((others, -np.tile(similarity, 2), nodes))
        nodes, others = nodes[order], others[order]
        first = np.ones(len(nodes), dtype=bool)
        first[1:] = nodes[1:] != nodes[:-1]
        best = np.full(count, -1, dtype=np.int32)
        best[nodes[first]] = others[first]
        keep = np.flatnonzero((best >= 0) & (best[np.maximum(best, 0)] == np.arange(count)))
        keep = keep[keep < best[keep]]  # each mutual pair once, the smaller id survives
        gone = best[keep]
        sums[keep] += sums[gone]
        counts[keep] += counts[gone]
        mapping = np.arange(count, dtype=np.int32)
        mapping[gone] = keep
        labels = mapping[labels]
        # Only edges of merged groups change: re-map, de-duplicate and re-score those (the
        # others keep their score; none of them can duplicate a changed one).
        merged = np.zeros(count, dtype=bool)
        merged[keep] = True
        merged[gone] = True
        touched = merged[i] | merged[j]
        ti, tj = mapping[i[touched]], mapping[j[touched]]
        ti, tj = np.minimum(ti, tj), np.maximum(ti, tj)
        distinct = np.unique((ti.astype(np.int64) * count + tj)[ti != tj])
        ti, tj = (distinct // count).astype(np.int32), (distinct % count).astype(np.int32)
        i = np.concatenate([i[~touched], ti])
        j = np.concatenate([j[~touched], tj])
        similarity = np.concatenate([similarity[~touched], _similarities(sums, counts, ti, tj)])
    return labels


def person_means(
    embeddings: np.ndarray, people: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person ids, mean face of each, faces of each): a person as a whole."""
    ids, rows, sizes = np.unique(people, return_inverse=True, return_counts=True)
    sums = np.zeros((len(ids), embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, rows, embeddings)
    return ids, sums / sizes[:, None], sizes


def linkage_distances(faces: np.ndarray, means: np.ndarray) -> np.ndarray:
    """RMS distance of each face (or mean of a group) to all faces of each person:
    sqrt(2 - 2 f·m) for unit faces, ``[len(faces), len(means)]``."""
    return np.sqrt(np.clip(2.0 - 2.0 * (np.asarray(faces, np.float64) @ means.T), 0.0, None))


def join_existing(
    known: np.ndarray, known_people: np.ndarray, faces: np.ndarray, max_distance: float
) -> dict[int, int]:
    """New faces (rows of ``faces``) that belong to a person who already has faces: the
    person nearest as a whole, when within ``max_distance``."""
    if len(known) == 0 or len(faces) == 0:
        return {}
    ids, means, _ = person_means(known, known_people)
    joined = {}
    for start in range(0, len(faces), 4096):
        distances = linkage_distances(faces[start : start + 4096], means)
        nearest = distances.argmin(axis=1)
        for offset, column in enumerate(nearest.tolist()):
            if distances[offset, column] <= max_distance:
                joined[start + offset] = int(ids[column])
    return joined


def group_faces(
    known: np.ndarray,
    known_people: np.ndarray,
    faces: np.ndarray,
    max_distance: float,
    min_faces: int = 3,
) -> Grouping:
    """Assign ``faces`` (unit-length rows) to existing people or new clusters.

    ``known``/``known_people``: embeddings of faces already in a person, and that person's
    id. The rest are grouped by average linkage; a group of fewer than ``min_faces`` faces
    stays unknown (a face seen once or twice is more often a stranger in the background).
    """
    joined = join_existing(known, known_people, faces, max_distance)
    rest = np.array([i for i in range(len(faces)) if i not in joined], dtype=np.int64)
    clusters: list[list[int]] = []
    if len(rest) >= max(min_faces, 1):
        labels = average_linkage(faces[rest], max_distance)
        groups: dict[int, list[int]] = {}
        for face, label in zip(rest.tolist(), labels.tolist(), strict=True):
            groups.setdefault(label, []).append(face)
        clusters = [members for members in groups.values() if len(members) >= max(min_faces, 1)]
        clusters.sort(key=lambda members: (-len(members), members[0]))
    return Grouping(joined, clusters)


def inherit_ids(clusters: list[list[int]], previous: dict[int, int]) -> list[int | None]:
    """For each new cluster (lists of face ids) the previous person id it takes over: the
    person most of its faces were in, each person once, the largest overlaps first; None
    for a cluster of faces that were in nobody (it becomes a new person)."""
    overlaps = []
    for number, members in enumerate(clusters):
        counts: dict[int, int] = {}
        for face in members:
            if face in previous:
                counts[previous[face]] = counts.get(previous[face], 0) + 1
        overlaps.extend((-count, person, number) for person, count in counts.items())
    inherited: list[int | None] = [None] * len(clusters)
    taken = set()
    for _, person, number in sorted(overlaps):
        if inherited[number] is None and person not in taken:
            inherited[number] = person
            taken.add(person)
    return inherited


def close_people(
    ids: np.ndarray,
    means: np.ndarray,
    sizes: np.ndarray,
    named: set[int],
    max_distance: float,
) -> list[tuple[int, int, float]]:
    """(keep, other, distance) for pairs of people (``person_means``) within
    ``max_distance`` of each other as wholes, nearest first. Two named people are never
    paired (the user told them apart); ``keep`` is the named one, else the one with more
    faces (then the older id)."""
    pairs = []
    for start in range(0, len(ids), 1024):
        distances = linkage_distances(means[start : start + 1024], means)
        rows, cols = np.nonzero(distances <= max_distance)
        for row, col in zip((rows + start).tolist(), cols.tolist(), strict=True):
            a, b = int(ids[row]), int(ids[col])
            if row >= col or (a in named and b in named):
                continue
            rank_a = (a in named, int(sizes[row]), -a)
            rank_b = (b in named, int(sizes[col]), -b)
            keep, other = (a, b) if rank_a > rank_b else (b, a)
            pairs.append((keep, other, round(float(distances[row - start, col]), 4)))
    pairs.sort(key=lambda pair: (pair[2], pair[0], pair[1]))
    return pairs
