"""Recognising named people ("Train Faces"): faces nobody has placed yet go to the named
person they are close to as a whole, with a calibrated certainty.

A photo library is an open set: most faces belong to nobody the user named. So a face is
compared with each named person as a whole: the RMS distance to all of the person's
training faces (faces/cluster.py, the linkage clustering uses), never a vote of a few near
faces, which one look-alike photo can swing.

``certainty`` is the probability that the face is the nearest person's, from a logistic
curve of that distance fitted on the two corpora (bench/faces.py --quality: each face's
distance to its own person, left out, against its distance to the other people; equal
weight to both): for dlib 50% at 0.434, falling by e for every 0.0108 (own-person distances
reach 0.426, other people start at 0.449). It is multiplied by the chance that the
second-nearest person is *not* the face's: two named people both close leave the face
unknown. Below ``min_certainty`` (0.6: a distance of about 0.43 with nobody else near) the
face stays unknown. insightface is not measured here (no real ArcFace weights): its curve
is dlib's, scaled to its cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from media_pipeline.faces.cluster import DEFAULT_MAX_DISTANCE, linkage_distances, person_means

__all__ = ["CALIBRATION", "Recognition", "calibration_for", "certainty_of", "recognise"]

# (distance of certainty 0.5, distance over which the odds change by e), per backend.
_DLIB = (0.434, 0.0108)
CALIBRATION = {
    "dlib": _DLIB,
    "insightface": tuple(
        value * DEFAULT_MAX_DISTANCE["insightface"] / DEFAULT_MAX_DISTANCE["dlib"]
        for value in _DLIB
    ),
}


@dataclass(frozen=True)
class Recognition:
    face: int  # row of the faces given
    person_id: int | None  # None: unknown
    certainty: float


def calibration_for(model: str) -> tuple[float, float]:
    return CALIBRATION["dlib" if model.startswith("dlib/") else "insightface"]


def certainty_of(distance: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    """P(same person | RMS distance to the person), the fitted logistic curve."""
    middle, scale = calibration
    return 1.0 / (1.0 + np.exp((np.asarray(distance, np.float64) - middle) / scale))


def recognise(
    training: np.ndarray,
    people: np.ndarray,
    faces: np.ndarray,
    calibration: tuple[float, float] = _DLIB,
    min_certainty: float = 0.6,
) -> list[Recognition]:
    """One Recognition per row of ``faces``; ``training`` rows are faces of ``people``."""
    if len(faces) == 0:
        return []
    if len(training) == 0:
        return [Recognition(face, None, 0.0) for face in range(len(faces))]
    ids, means, _ = person_means(training, people)
    results = []
    for start in range(0, len(faces), 4096):
        likely = certainty_of(linkage_distances(faces[start : start + 4096], means), calibration)
        order = np.argsort(-likely, axis=1)
        best = likely[np.arange(len(likely)), order[:, 0]]
        second = likely[np.arange(len(likely)), order[:, 1]] if len(ids) > 1 else 0.0
        certainty = best * (1.0 - second)
        for offset in range(len(likely)):
            sure = certainty[offset] >= min_certainty
            person = int(ids[order[offset, 0]]) if sure else None
            results.append(Recognition(start + offset, person, round(float(certainty[offset]), 4)))
    return results
