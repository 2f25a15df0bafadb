"""Face rows: who placed a face first keeps it, empty new people go, names outlive a model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from media_pipeline import settings
from media_pipeline.catalog.faces import (
    FoundFace,
    create_people,
    drop_empty_people,
    load_faces,
    place_faces,
    save_face_scans,
)
from media_pipeline.catalog.people import move_face, name_person
from media_pipeline.catalog.store import open_catalog


@pytest.fixture
def catalog(home: Path):
    return open_catalog(settings.database_url())


def _face(x: float) -> FoundFace:
    return FoundFace((x, 10.0, x + 100.0, 110.0), [[x, 10.0]] * 5, 1.0, np.ones(4, np.float32))


def _ids(catalog, model: str = "m1") -> list[int]:
    with catalog.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id FROM faces WHERE model = ? ORDER BY x1", (model,)
        ).all()
    return [row[0] for row in rows]


def test_the_first_placement_wins_and_empty_new_people_go(catalog) -> None:
    save_face_scans(catalog, "m1", [("a" * 32, [_face(0), _face(200)])])
    first, second = _ids(catalog)
    ours, theirs = create_people(catalog, [first, first])
    # A concurrent run placed `first` into `theirs` a moment earlier.
    place_faces(catalog, [(first, theirs, "cluster", None)])
    place_faces(catalog, [(first, ours, "cluster", None), (second, ours, "cluster", None)])
    move_face(catalog, second, None)  # the user: not this person
    place_faces(catalog, [(second, theirs, "recognition", 0.9)])
    with catalog.engine.connect() as conn:
        rows = dict(conn.exec_driver_sql("SELECT id, person_id FROM faces").all())
    assert rows == {first: theirs, second: None}
    assert drop_empty_people(catalog, [ours, theirs]) == 1  # ours got nothing
    name_person(catalog, theirs, "Anna")
    table = load_faces(catalog, "m1")  # faces of present files only: none are catalogued
    assert len(table.ids) == 0


def test_a_new_model_takes_over_people_of_overlapping_faces(catalog) -> None:
    save_face_scans(catalog, "m1", [("b" * 32, [_face(0), _face(500)])])
    left, _ = _ids(catalog)
    [anna] = create_people(catalog, [left])
    place_faces(catalog, [(left, anna, "cluster", None)])
    name_person(catalog, anna, "Anna")
    # Another detector: a looser box around the same face, and a face nobody saw before.
    looser = FoundFace((-20.0, -10.0, 130.0, 140.0), [[0.0, 0.0]] * 5, 0.9, np.ones(4))
    save_face_scans(catalog, "m2", [("b" * 32, [looser, _face(900)])])
    assert _ids(catalog, "m1") == []  # the old model's faces are replaced
    with catalog.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT person_id, assigned_by FROM faces WHERE model = 'm2' ORDER BY x1"
        ).all()
    assert [tuple(row) for row in rows] == [(anna, "cluster"), (None, None)]
