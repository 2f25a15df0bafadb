"""Named face regions from XMP (digiKam, Lightroom, Picasa, Apple Photos) as named faces.

A region names a person: it becomes a face placed in the person of that name (created when
new), ``assigned_by`` "metadata". Regions carry no embedding, so they work through the face
stage: before it has seen the content they are stored as faces of the pseudo-model
"metadata", and the detector's face that covers one inherits its person (``save_face_scans``
keeps people across models); when detected faces exist already, the covering face is placed
directly. Either way the named people seed recognition, which then finds them elsewhere.
Only catalog/faces.py's and catalog/people.py's functions write faces and people.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select

from media_pipeline.catalog.faces import (
    MATCH_OVERLAP,
    FoundFace,
    _overlap,
    named_people,
    person_named,
    place_faces,
    save_face_scans,
)
from media_pipeline.catalog.schema import faces
from media_pipeline.catalog.store import Catalog

METADATA = "metadata"  # the model and the assigned_by of imported regions
Box = tuple[float, float, float, float]
Regions = Sequence[tuple[str, list[tuple[str, Box]]]]  # (content hash, [(name, box)])


def _person(catalog: Catalog, name: str, cover: int, known: dict[str, int]) -> int:
    """The person called `name` (case and surrounding blanks aside: a region names the
    person the user already has, never a second one), created with `cover` as cover face
    when nobody is."""
    key = name.strip().casefold()
    if key not in known:
        known[key] = person_named(catalog, name, cover)
    return known[key]


def import_face_regions(
    catalog: Catalog, found: Sequence[tuple[str, list[tuple[str, Box]]]]
) -> int:
    """Place each content's named regions (name, upright pixel box); returns faces placed."""
    if not found:
        return 0
    known = {name.strip().casefold(): person for person, name in named_people(catalog).items()}
    columns = (faces.c.id, faces.c.x1, faces.c.y1, faces.c.x2, faces.c.y2, faces.c.person_id)
    placed = 0
    for content_hash, regions in found:
        with catalog.engine.connect() as conn:
            detected = conn.execute(
                select(*columns).where(
                    faces.c.content_hash == content_hash, faces.c.model != METADATA
                )
            ).all()
        if not detected:
            stand_ins = [
                FoundFace(box, [], 1.0, np.zeros(0, dtype=np.float32)) for _, box in regions
            ]
            save_face_scans(catalog, METADATA, [(content_hash, stand_ins)])
            with catalog.engine.connect() as conn:
                detected = conn.execute(
                    select(*columns)
                    .where(faces.c.content_hash == content_hash, faces.c.model == METADATA)
                    .order_by(faces.c.id)
                ).all()
        assignments = []
        for name, box in regions:
            best = max(detected, key=lambda row: _overlap(box, row[1:5]), default=None)
            if (
                best is not None
                and best.person_id is None  # a face someone already placed keeps its person
                and _overlap(box, best[1:5]) >= MATCH_OVERLAP
            ):
                person = _person(catalog, name, best.id, known)
                assignments.append((best.id, person, METADATA, 1.0))
        place_faces(catalog, assignments)
        placed += len(assignments)
    return placed
