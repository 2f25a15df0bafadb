"""Clustering quality on the labelled corpus, and the stability rules (existing people keep
their faces; new faces join them; a group too small stays unknown)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from media_pipeline.faces.backends import normalise
from media_pipeline.faces.cluster import DEFAULT_MAX_DISTANCE, group_faces, max_distance_for
from media_pipeline_tests.faces.conftest import LabelledFace

DLIB = DEFAULT_MAX_DISTANCE["dlib"]


def _labels(count: int, clusters: list[list[int]]) -> np.ndarray:
    """Cluster numbers, with every unclustered face a singleton of its own."""
    labels = np.arange(count) + len(clusters)
    for number, members in enumerate(clusters):
        labels[members] = number
    return labels


def test_dlib_clustering_of_the_labelled_faces_reaches_ari_095(
    dlib_faces: list[LabelledFace],
) -> None:
    embeddings = np.stack([face.embedding for face in dlib_faces])
    truth = [face.person for face in dlib_faces]
    empty = np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    for min_faces in (1, 2):
        grouping = group_faces(empty, np.zeros(0, np.int64), embeddings, DLIB, min_faces)
        assert not grouping.joined
        score = adjusted_rand_score(truth, _labels(len(truth), grouping.clusters))
        assert score >= 0.95, (min_faces, score)
    # With min_faces 1 every person is a cluster: 5 known people, Lin, and the girl.
    grouping = group_faces(empty, np.zeros(0, np.int64), embeddings, DLIB, 1)
    assert len(grouping.clusters) == len(set(truth)) == 7


def test_new_faces_join_existing_people_and_strangers_stay_unknown(
    dlib_faces: list[LabelledFace],
) -> None:
    train = [face for face in dlib_faces if "train" in face.photo.parts]
    rest = [face for face in dlib_faces if "train" not in face.photo.parts]
    ids = {person: 100 + number for number, person in enumerate(sorted({f.person for f in train}))}
    known = np.stack([face.embedding for face in train])
    people = np.array([ids[face.person] for face in train])
    new = np.stack([face.embedding for face in rest])
    grouping = group_faces(known, people, new, DLIB, min_faces=3)
    for index, face in enumerate(rest):
        if face.person in ids:
            assert grouping.joined.get(index) == ids[face.person], face.photo
        else:
            assert index not in grouping.joined
    assert grouping.clusters == []  # Lin and the girl: one face each, below min_faces


def test_min_faces_and_noise() -> None:
    rng = np.random.default_rng(7)
    centre_a, centre_b = normalise(rng.standard_normal(64)), normalise(rng.standard_normal(64))
    a = [normalise(centre_a + 0.02 * rng.standard_normal(64)) for _ in range(4)]
    b = [normalise(centre_b + 0.02 * rng.standard_normal(64)) for _ in range(2)]
    faces = np.stack(a + b)
    grouping = group_faces(np.zeros((0, 64)), np.zeros(0, np.int64), faces, 0.42, min_faces=3)
    assert grouping.clusters == [[0, 1, 2, 3]]  # b's two faces stay unknown
    grouping = group_faces(np.zeros((0, 64)), np.zeros(0, np.int64), faces, 0.42, min_faces=2)
    assert sorted(grouping.clusters) == [[0, 1, 2, 3], [4, 5]]


def test_default_distances_per_backend() -> None:
    assert max_distance_for("dlib/resnet_v1") == DLIB
    assert max_distance_for("insightface/buffalo_l") == DEFAULT_MAX_DISTANCE["insightface"]
    assert max_distance_for("dlib/resnet_v1", 0.3) == 0.3
