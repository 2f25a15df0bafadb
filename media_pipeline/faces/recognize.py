"""Recognising named people ("Train Faces"): a scikit-learn classifier trained on the faces of
the people a user named, applied to faces nobody has placed yet.

A photo library is an open set: most faces belong to nobody the user named, and a plain
classifier would still pick one of the named people. So the classifier is a vote of the
named faces within ``max_distance`` (RadiusNeighborsClassifier, distance-weighted; the same
distance that clustering trusts). ``certainty`` is the weighted share of that vote the winner
got; a face with no named face near enough has certainty 0 and stays unknown, as does one
whose vote is split below ``min_certainty``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["Recognition", "recognise"]

UNKNOWN = -1  # the label of a face with no named face within max_distance


@dataclass(frozen=True)
class Recognition:
    face: int  # row of the faces given
    person_id: int | None  # None: unknown
    certainty: float


def recognise(
    training: np.ndarray,
    people: np.ndarray,
    faces: np.ndarray,
    max_distance: float,
    min_certainty: float = 0.6,
) -> list[Recognition]:
    """One Recognition per row of ``faces``; ``training`` rows are faces of ``people``."""
    if len(faces) == 0:
        return []
    if len(training) == 0:
        return [Recognition(face, None, 0.0) for face in range(len(faces))]
    from sklearn.neighbors import RadiusNeighborsClassifier

    classifier = RadiusNeighborsClassifier(
        radius=max_distance, weights="distance", algorithm="brute", outlier_label=UNKNOWN
    )
    classifier.fit(training, people)
    with warnings.catch_warnings():  # "outlier label not in training classes": intended
        warnings.simplefilter("ignore", UserWarning)
        probabilities = classifier.predict_proba(faces)
    results = []
    for face, row in enumerate(probabilities):
        best = int(np.argmax(row))
        certainty = float(row[best])
        person = int(classifier.classes_[best]) if certainty >= min_certainty else None
        results.append(Recognition(face, person, round(certainty, 4)))
    return results
