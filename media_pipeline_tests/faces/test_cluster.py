"""Clustering: average linkage exactly as scipy computes it (without its n² matrix), quality
on the labelled corpus, no chaining, joining a person only as a whole, and the stability
rules (existing people keep their faces; a group too small stays unknown; ids carry over)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score

from media_pipeline.faces.backends import normalise
from media_pipeline.faces.cluster import (
    DEFAULT_MAX_DISTANCE,
    average_linkage,
    close_pairs,
    close_people,
    fingerprint,
    group_faces,
    inherit_ids,
    max_distance_for,
    person_means,
)
from media_pipeline_tests.faces.conftest import LabelledFace

DLIB = DEFAULT_MAX_DISTANCE["dlib"]
NOBODY = np.zeros(0, np.int64)


def _labels(count: int, clusters: list[list[int]]) -> np.ndarray:
    """Cluster numbers, with every unclustered face a singleton of its own."""
    labels = np.arange(count) + len(clusters)
    for number, members in enumerate(clusters):
        labels[members] = number
    return labels


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _blobs(seed: int, people: int, faces: int, dim: int, noise: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((people, dim))
    return _unit(
        centres[rng.integers(0, people, faces)] + noise * rng.standard_normal((faces, dim))
    )


@pytest.mark.parametrize("dense_component", [0, 40, 2048], ids=["rounds", "mixed", "dense"])
def test_average_linkage_is_scipys_without_the_dense_matrix(
    monkeypatch: pytest.MonkeyPatch, dense_component: int
) -> None:
    # Small blocks: the pair search really runs block by block. Components of the close-pair
    # graph up to ``dense_component`` faces are clustered densely, larger ones in rounds.
    monkeypatch.setattr("media_pipeline.faces.cluster.PAIR_BLOCK_BYTES", 4096)
    monkeypatch.setattr("media_pipeline.faces.cluster.DENSE_COMPONENT", dense_component)
    for seed, cut in ((1, 0.9), (2, 0.8), (3, 1.0)):
        x = _blobs(seed, 30, 400, 16, 0.4)
        ours = average_linkage(x, cut)
        theirs = fcluster(linkage(pdist(x, "sqeuclidean"), "average"), cut * cut, "distance")
        assert adjusted_rand_score(ours, theirs) == 1.0, seed
        assert 5 < len(set(ours)) < 300
        i, j = close_pairs(x, cut)
        distances = np.linalg.norm(x[:, None] - x[None, :], axis=2)
        expected = np.argwhere(np.triu(distances <= cut, 1))
        assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
            map(tuple, expected.tolist())
        )


def test_one_close_pair_does_not_chain_two_people() -> None:
    rng = np.random.default_rng(5)
    a_centre, b_centre = normalise(rng.standard_normal(64)), normalise(rng.standard_normal(64))
    a = _unit(a_centre + 0.03 * rng.standard_normal((6, 64)))
    b = _unit(b_centre + 0.03 * rng.standard_normal((6, 64)))
    bridge_a = normalise(0.55 * a_centre + 0.45 * b_centre)  # an A face that looks like B
    bridge_b = normalise(0.45 * a_centre + 0.55 * b_centre)
    faces = np.vstack([a, bridge_a, b, bridge_b])
    assert np.linalg.norm(bridge_a - bridge_b) < 0.3  # single linkage would join A and B
    grouping = group_faces(np.zeros((0, 64)), NOBODY, faces, 0.9, min_faces=3)
    # Two people, never one: the look-alike photos may go either way, the rest do not mix.
    assert len(grouping.clusters) == 2
    cores = [set(members) - {6, 13} for members in grouping.clusters]
    assert sorted(map(sorted, cores)) == [list(range(6)), list(range(7, 13))]


def test_dlib_clustering_of_the_labelled_faces_reaches_ari_095(
    dlib_faces: list[LabelledFace],
) -> None:
    embeddings = np.stack([face.embedding for face in dlib_faces])
    truth = [face.person for face in dlib_faces]
    empty = np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    for min_faces in (1, 2):
        grouping = group_faces(empty, NOBODY, embeddings, DLIB, min_faces)
        assert not grouping.joined
        score = adjusted_rand_score(truth, _labels(len(truth), grouping.clusters))
        assert score >= 0.95, (min_faces, score)
    # With min_faces 1 every person is a cluster: 5 known people, Lin, and the girl.
    grouping = group_faces(empty, NOBODY, embeddings, DLIB, 1)
    assert len(grouping.clusters) == len(set(truth)) == 7
    assert all(len({truth[face] for face in members}) == 1 for members in grouping.clusters)


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


def test_a_face_joins_a_person_as_a_whole_never_through_one_near_face() -> None:
    rng = np.random.default_rng(11)
    centre, elsewhere = normalise(rng.standard_normal(64)), normalise(rng.standard_normal(64))
    person = _unit(centre + 0.03 * rng.standard_normal((5, 64)))
    odd = normalise(0.5 * centre + 0.5 * elsewhere)  # one odd photo of the person
    known = np.vstack([person, odd])
    stranger = normalise(odd + 0.01 * rng.standard_normal(64))  # right beside the odd photo
    close = normalise(centre + 0.03 * rng.standard_normal(64))
    grouping = group_faces(known, np.full(6, 7), np.vstack([stranger, close]), 0.6, 1)
    assert np.linalg.norm(stranger - odd) < 0.1
    assert grouping.joined == {1: 7}
    assert grouping.clusters == [[0]]  # the stranger is someone new


def test_min_faces_and_noise() -> None:
    rng = np.random.default_rng(7)
    centre_a, centre_b = normalise(rng.standard_normal(64)), normalise(rng.standard_normal(64))
    a = [normalise(centre_a + 0.02 * rng.standard_normal(64)) for _ in range(4)]
    b = [normalise(centre_b + 0.02 * rng.standard_normal(64)) for _ in range(2)]
    faces = np.stack(a + b)
    grouping = group_faces(np.zeros((0, 64)), NOBODY, faces, 0.42, min_faces=3)
    assert grouping.clusters == [[0, 1, 2, 3]]  # b's two faces stay unknown
    grouping = group_faces(np.zeros((0, 64)), NOBODY, faces, 0.42, min_faces=2)
    assert sorted(grouping.clusters) == [[0, 1, 2, 3], [4, 5]]


def test_new_groups_take_over_the_ids_of_the_people_they_hold() -> None:
    previous = {1: 10, 2: 10, 3: 10, 4: 20, 5: 20, 6: 10}
    # The second group holds most of person 10; the first keeps 20; the third is new.
    assert inherit_ids([[4, 5, 6], [1, 2, 3], [7, 8]], previous) == [20, 10, None]
    assert inherit_ids([[1], [2, 3]], previous) == [None, 10]  # each id once, largest first


def test_suggestions_pair_people_close_as_wholes() -> None:
    rng = np.random.default_rng(2)
    centre, other = normalise(rng.standard_normal(32)), normalise(rng.standard_normal(32))
    faces = _unit(np.vstack([centre + 0.05 * rng.standard_normal((9, 32)), other[None, :]]))
    people = np.array([1, 1, 1, 1, 2, 2, 3, 3, 3, 4])  # 1, 2, 3: one face; 4: someone else
    ids, means, sizes = person_means(faces, people)
    pairs = close_people(ids, means, sizes, named={3}, max_distance=0.5)
    assert [(keep, other) for keep, other, _ in pairs] == sorted(
        [(3, 1), (3, 2), (1, 2)], key=lambda p: [x[2] for x in pairs if x[:2] == p]
    )
    assert all(0 < distance <= 0.5 for _, _, distance in pairs)
    assert close_people(ids, means, sizes, named={1, 2, 3}, max_distance=0.5) == []


def test_default_distances_and_fingerprints() -> None:
    assert max_distance_for("dlib/resnet_v1") == DLIB
    assert max_distance_for("insightface/buffalo_l") == DEFAULT_MAX_DISTANCE["insightface"]
    assert max_distance_for("dlib/resnet_v1", 0.3) == 0.3
    assert fingerprint(DLIB, 3) == fingerprint(DLIB, 3)
    assert len({fingerprint(DLIB, 3), fingerprint(DLIB, 2), fingerprint(0.5, 3)}) == 3
