"""Grouping faces into people, keeping the people that already exist.

Choice measured on the labelled faces of ../shared/corpus/faces (bench/faces.py --quality;
23 faces of 7 people with the dlib backend): on unit-length embeddings the same person's
faces lie at most 0.365 apart and different people at least 0.475. DBSCAN, agglomerative
(single/average/complete linkage) and Chinese whispers all reach an adjusted Rand index of
1.0 with a cut between those; DBSCAN is kept because it scales: its neighbour search runs
blockwise (memory grows with the neighbours found, never n²; agglomerative clustering
without a sparse connectivity graph holds the n² distance matrix), it leaves faces that
have no close neighbours as noise ("unknown") instead of forcing them into a person, and
``min_faces`` is its core-point rule.

Stability comes before the algorithm: faces already in a person are never regrouped. New
faces first join the existing person whose faces are nearest (within ``max_distance``, by
vote of the nearest neighbours), and only the rest are clustered into new people.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_MAX_DISTANCE", "Grouping", "group_faces", "join_existing", "max_distance_for"]

# Unit-sphere Euclidean distance at which two faces are taken for the same person.
# dlib: the middle of the measured gap (0.365 .. 0.475). insightface (ArcFace): Immich's
# default of cosine distance 0.5, i.e. sqrt(2 * 0.5) = 1.0 on the unit sphere (not measured
# here: the real buffalo_l weights cannot be downloaded in this environment).
DEFAULT_MAX_DISTANCE = {"dlib": 0.42, "insightface": 1.0}


def max_distance_for(model: str, configured: float | None = None) -> float:
    if configured is not None:
        return configured
    return DEFAULT_MAX_DISTANCE["dlib" if model.startswith("dlib/") else "insightface"]


@dataclass(frozen=True)
class Grouping:
    """``joined``: face index -> existing person id. ``clusters``: lists of face indexes,
    each a new person. Everything else stays unknown."""

    joined: dict[int, int]
    clusters: list[list[int]]


def join_existing(
    known: np.ndarray,
    known_people: np.ndarray,
    faces: np.ndarray,
    max_distance: float,
    neighbours: int = 5,
) -> dict[int, int]:
    """New faces (rows of ``faces``) that belong to a person who already has faces: among
    each face's ``neighbours`` nearest known faces within ``max_distance``, the person with
    most votes (ties: the nearer one)."""
    if len(known) == 0 or len(faces) == 0:
        return {}
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=min(neighbours, len(known)), algorithm="brute")
    index.fit(known)
    distances, rows = index.kneighbors(faces)
    joined = {}
    for face, (near, row) in enumerate(zip(distances, rows, strict=True)):
        close = near <= max_distance
        if not close.any():
            continue
        votes = Counter(int(person) for person in known_people[row[close]])
        best = max(votes.values())
        # rows are sorted by distance: the first person reaching the best count is the nearest
        joined[face] = next(
            int(person) for person in known_people[row[close]] if votes[int(person)] == best
        )
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
    id. New clusters need ``min_faces`` faces (DBSCAN's ``min_samples``: a face with at
    least ``min_faces - 1`` others within ``max_distance`` seeds a person).
    """
    joined = join_existing(known, known_people, faces, max_distance)
    rest = np.array([i for i in range(len(faces)) if i not in joined], dtype=np.int64)
    clusters: list[list[int]] = []
    if len(rest) >= max(min_faces, 1):
        from sklearn.cluster import DBSCAN

        labels = DBSCAN(
            eps=max_distance, min_samples=max(min_faces, 1), algorithm="brute", n_jobs=-1
        ).fit_predict(faces[rest])
        groups: dict[int, list[int]] = {}
        for face, label in zip(rest.tolist(), labels.tolist(), strict=True):
            if label >= 0:
                groups.setdefault(label, []).append(face)
        # DBSCAN's border points can make a cluster smaller than min_samples in rare cases.
        clusters = [members for members in groups.values() if len(members) >= min_faces]
        clusters.sort(key=lambda members: (-len(members), members[0]))
    return Grouping(joined, clusters)
