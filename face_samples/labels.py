"""Who is who in ../shared/corpus/faces: the ground truth the quality tests measure against.

Single-face photos are labelled by name; photos of several people by where the face's centre
lies across the image (as a fraction of its width), read off the photos by eye.
"""

from __future__ import annotations

from pathlib import Path

from face_samples import FACES

TRAIN = FACES / "knn_examples" / "train"
PEOPLE = ("alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie")

SINGLE = {
    "johnsnow_test1.jpg": "kit_harington",
    "obama1.jpg": "obama",
    "alex_lacamoire1.jpg": "alex_lacamoire",
    "obama3.jpg": "obama",
    "obama_partial_face.jpg": "obama",
    "alex-lacamoire.png": "alex_lacamoire",
    "lin-manuel-miranda.png": "lin",  # nobody has a training photo of him
}
SEVERAL = {
    "kit_with_rose.jpg": [(0.0, 0.5, "rose_leslie"), (0.5, 1.01, "kit_harington")],
    "obama_and_biden.jpg": [(0.0, 0.45, "biden"), (0.45, 0.75, "obama"), (0.75, 1.01, "girl")],
    "two_people.jpg": [(0.0, 0.5, "obama"), (0.5, 1.01, "biden")],
}
UNKNOWN = frozenset({"lin", "girl"})  # people without a training photo


def photos() -> list[Path]:
    return sorted(
        path
        for path in FACES.rglob("*")
        if path.suffix.lower() in {".jpg", ".jpeg", ".png"} and path.is_file()
    )


def label(path: Path, centre_x: float) -> str:
    """The person whose face is centred at ``centre_x`` (fraction of the width) in ``path``."""
    if path.parent.parent.name == TRAIN.name:  # knn_examples/train/<person>/
        return path.parent.name
    if path.name in SINGLE:
        return SINGLE[path.name]
    for low, high, who in SEVERAL[path.name]:
        if low <= centre_x < high:
            return who
    raise KeyError(f"no label for a face at {centre_x:.2f} in {path}")
