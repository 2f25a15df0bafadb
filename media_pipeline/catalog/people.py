"""What users see and edit of people: the people list, their photos and crops, naming,
merging and moving faces (the face stage's side: catalog/faces.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, select, update

from media_pipeline.catalog.faces import USER, present
from media_pipeline.catalog.schema import faces, libraries, media_files, persons
from media_pipeline.catalog.store import Catalog, file_path, utcnow


@dataclass(frozen=True)
class CoverFace:
    """The face that shows a person: its crop and the file it was found in."""

    id: int
    crop_path: str | None  # absolute when listed with a home, else relative to it
    file: str | None  # a present file holding the face, None when none is


@dataclass(frozen=True)
class Person:
    """One person as `people` lists them (``dataclasses.asdict`` is the --json shape)."""

    id: int
    name: str | None
    face_count: int
    cover_face: CoverFace | None


def list_people(catalog: Catalog, home: str | None = None) -> list[Person]:
    """People with at least one face in a present file: id, name, face count, cover face
    (the chosen one if still there, else the sharpest detection), most faces first."""
    with catalog.engine.connect() as conn:
        counts = conn.execute(
            select(faces.c.person_id, func.count())
            .where(faces.c.person_id.is_not(None), present())
            .group_by(faces.c.person_id)
        ).all()
        if not counts:
            return []
        people = {
            row.id: row
            for row in conn.execute(
                select(persons).where(persons.c.id.in_([person for person, _ in counts]))
            )
        }
        best: dict[int, Any] = {}  # the best-scored face of each person: its first row
        for row in conn.execute(
            select(faces.c.person_id, faces.c.id, faces.c.crop_path, faces.c.content_hash)
            .where(faces.c.person_id.in_(list(people)), present())
            .order_by(faces.c.person_id, faces.c.score.desc(), faces.c.id)
        ):
            best.setdefault(row.person_id, row)
        chosen_ids = [row.cover_face_id for row in people.values() if row.cover_face_id]
        chosen = {
            row.id: row
            for row in conn.execute(
                select(
                    faces.c.id, faces.c.person_id, faces.c.crop_path, faces.c.content_hash
                ).where(faces.c.id.in_(chosen_ids), present())
            )
        }
        cover_faces = {}
        for person_id, person in people.items():
            cover = chosen.get(person.cover_face_id)
            if cover is None or cover.person_id != person_id:
                cover = best.get(person_id)
            cover_faces[person_id] = cover
        paths = {
            row.content_hash: file_path(row.root, row.rel_path)
            for row in conn.execute(
                select(media_files.c.content_hash, libraries.c.root, media_files.c.rel_path)
                .join(libraries, libraries.c.id == media_files.c.library_id)
                .where(
                    media_files.c.content_hash.in_(
                        [cover.content_hash for cover in cover_faces.values() if cover]
                    ),
                    media_files.c.status == "present",
                )
                .order_by(media_files.c.rel_path.desc())
            )
        }
    listed = []
    for person_id, count in counts:
        person = people.get(person_id)
        if person is None:
            continue
        cover = cover_faces[person_id]
        listed.append(
            Person(
                id=person_id,
                name=person.name,
                face_count=int(count),
                cover_face=CoverFace(
                    id=cover.id,
                    crop_path=os.path.join(home, cover.crop_path)
                    if home and cover.crop_path
                    else cover.crop_path,
                    file=paths.get(cover.content_hash),
                )
                if cover
                else None,
            )
        )
    listed.sort(key=lambda person: (-person.face_count, person.id))
    return listed


class PersonNotFound(LookupError):
    pass


def _require_person(conn: Any, person_id: int) -> Any:
    row = conn.execute(select(persons).where(persons.c.id == person_id)).first()
    if row is None:
        raise PersonNotFound(f"no person with id {person_id} (see `media-pipeline people`)")
    return row


def name_person(catalog: Catalog, person_id: int, name: str) -> None:
    """Name a person: from the next run on, recognition trains on their faces."""
    name = name.strip()
    if not name:
        raise ValueError("a name cannot be empty")
    with catalog.transaction() as writer:
        _require_person(writer.conn, person_id)
        writer.conn.execute(
            update(persons).where(persons.c.id == person_id).values(name=name, updated_at=utcnow())
        )


def merge_people(catalog: Catalog, keep: int, other: int) -> int:
    """Move every face of ``other`` into ``keep`` and delete ``other``; ``keep`` takes
    ``other``'s name when it has none, and a regrouping keeps it as it is from now on.
    Returns the faces moved."""
    if keep == other:
        raise ValueError("cannot merge a person into itself")
    with catalog.transaction() as writer:
        kept = _require_person(writer.conn, keep)
        gone = _require_person(writer.conn, other)
        moved = writer.conn.execute(
            update(faces).where(faces.c.person_id == other).values(person_id=keep)
        ).rowcount
        writer.conn.execute(
            update(persons)
            .where(persons.c.id == keep)
            .values(name=kept.name or gone.name, merged_at=utcnow(), updated_at=utcnow())
        )
        writer.conn.execute(delete(persons).where(persons.c.id == other))
    return int(moved or 0)


def move_face(catalog: Catalog, face_id: int, person_id: int | None) -> None:
    """The user puts a face into a person, or (None) out of every person; either way the
    algorithms never move it again."""
    with catalog.transaction() as writer:
        if person_id is not None:
            _require_person(writer.conn, person_id)
        result = writer.conn.execute(
            update(faces)
            .where(faces.c.id == face_id)
            .values(person_id=person_id, assigned_by=USER, certainty=1.0 if person_id else None)
        )
        if not result.rowcount:
            raise LookupError(f"no face with id {face_id} (see `media-pipeline info PATH`)")


def faces_of(catalog: Catalog, content_hash: str) -> list[dict[str, Any]]:
    """One content's faces for `info --json`: box in the upright original's pixels."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(faces, persons.c.name)
            .outerjoin(persons, persons.c.id == faces.c.person_id)
            .where(faces.c.content_hash == content_hash)
            .order_by(faces.c.x1, faces.c.id)
        ).all()
    return [
        {
            "id": row.id,
            "box": {
                "x1": round(row.x1),
                "y1": round(row.y1),
                "x2": round(row.x2),
                "y2": round(row.y2),
            },
            "score": round(row.score, 4),
            "person_id": row.person_id,
            "person": row.name,
            "assigned_by": row.assigned_by,
            "certainty": row.certainty,
            "model": row.model,
        }
        for row in rows
    ]


def photos_of(catalog: Catalog, person_id: int) -> list[str]:
    """Absolute paths of the present files in which the person's faces are, oldest first."""
    with catalog.engine.connect() as conn:
        _require_person(conn, person_id)
        rows = conn.execute(
            select(libraries.c.root, media_files.c.rel_path)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .where(
                media_files.c.status == "present",
                exists().where(
                    faces.c.content_hash == media_files.c.content_hash,
                    faces.c.person_id == person_id,
                ),
            )
            .order_by(media_files.c.taken_at_utc, media_files.c.taken_at, media_files.c.rel_path)
        )
        return [file_path(root, rel_path) for root, rel_path in rows]


def person_crops(catalog: Catalog, person_id: int, limit: int) -> list[str]:
    """Crop paths (relative to MEDIA_PIPELINE_HOME) of a person's best faces."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(faces.c.crop_path)
            .where(faces.c.person_id == person_id, faces.c.crop_path.is_not(None), present())
            .order_by(faces.c.score.desc(), faces.c.id)
            .limit(limit)
        )
        return [row.crop_path for row in rows]
