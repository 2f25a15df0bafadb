"""Recognition of named people, open-set: the test photos go to the right person with
certainty; people nobody trained stay unknown; the certainty follows the distance."""

from __future__ import annotations

import numpy as np

from face_samples.labels import UNKNOWN
from media_pipeline.faces.backends import normalise
from media_pipeline.faces.recognize import CALIBRATION, certainty_of, recognise
from media_pipeline_tests.faces.conftest import LabelledFace


def test_named_people_are_recognised_and_strangers_stay_unknown(
    dlib_faces: list[LabelledFace],
) -> None:
    train = [face for face in dlib_faces if "train" in face.photo.parts]
    test = [face for face in dlib_faces if "train" not in face.photo.parts]
    names = sorted({face.person for face in train})
    results = recognise(
        np.stack([face.embedding for face in train]),
        np.array([names.index(face.person) for face in train]),
        np.stack([face.embedding for face in test]),
        CALIBRATION["dlib"],
        min_certainty=0.6,
    )
    assert len(results) == len(test) >= 12
    for face, result in zip(test, results, strict=True):
        if face.person in UNKNOWN:
            assert result.person_id is None and result.certainty < 0.05, face.photo
        else:
            assert result.person_id is not None, face.photo
            assert names[result.person_id] == face.person, face.photo
            assert result.certainty >= 0.6


def test_certainty_falls_with_the_distance_to_the_person() -> None:
    middle, _ = CALIBRATION["dlib"]
    curve = certainty_of(np.array([0.30, middle, 0.50]), CALIBRATION["dlib"])
    assert curve[0] > 0.99 and abs(curve[1] - 0.5) < 1e-9 and curve[2] < 0.01


def test_a_split_vote_stays_unknown_and_no_training_means_nobody() -> None:
    rng = np.random.default_rng(3)
    centre = normalise(rng.standard_normal(32))
    near = [normalise(centre + 0.01 * rng.standard_normal(32)) for _ in range(4)]
    training = np.stack(near)
    people = np.array([1, 1, 2, 2])  # two named people with the same face: no certainty
    [result] = recognise(training, people, centre[None, :], CALIBRATION["dlib"], 0.6)
    assert result.person_id is None and result.certainty < 0.01
    [result] = recognise(training[:2], people[:2], centre[None, :], CALIBRATION["dlib"], 0.6)
    assert result.person_id == 1 and result.certainty > 0.99
    [result] = recognise(np.zeros((0, 32)), np.zeros(0), centre[None, :])
    assert result.person_id is None and result.certainty == 0.0
    assert recognise(training, people, np.zeros((0, 32))) == []
