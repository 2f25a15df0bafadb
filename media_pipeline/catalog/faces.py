"""The face stage's side of the catalog: what it still has to analyse, the faces it found,
and the people it groups them into (what users see and edit of people: catalog/people.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    select,
    text,
    update,
)

from media_pipeline.catalog.schema import (
    face_groupings,
    face_scans,
    faces,
    media_files,
    persons,
    thumbnails,
)
from media_pipeline.catalog.store import Catalog, CatalogWriter, utcnow

if TYPE_CHECKING:  # numpy is imported where vectors are read or written: `people` lists without it
    import numpy as np

STAGE = "faces"
USER = "user"  # assigned_by of a face the user placed: the algorithms never move it
CLUSTER = "cluster"
RECOGNITION = "recognition"
# A new model's face takes over an old face's person when this share of the smaller box lies
# in the other (not IoU: detectors draw boxes of different tightness around the same face,
# dlib's HOG box sits well inside SCRFD's, while two faces never overlap that much).
MATCH_OVERLAP = 0.6


# The grouping's reads and writes take a Catalog (each in a transaction of its own) or the
# CatalogWriter of a people rebuild (all in the rebuild's one locked transaction).
Target = Catalog | CatalogWriter


@contextmanager
def _writing(target: Target) -> Iterator[CatalogWriter]:
    if isinstance(target, CatalogWriter):
        yield target
    else:
        with target.transaction() as writer:
            yield writer


@contextmanager
def _reading(target: Target) -> Iterator[Connection]:
    if isinstance(target, CatalogWriter):
        yield target.conn
    else:
        with target.engine.connect() as conn:
            yield conn


@contextmanager
def people_rebuild(catalog: Catalog) -> Iterator[CatalogWriter]:
    """One transaction holding the writer's exclusive lock over persons and faces: a
    regrouping releases faces, regroups and places them again, and a concurrent assignment
    (a user's merge or move, another run's placement) waits for it instead of landing
    between the release and the placement (a merge could delete a person whose id a new
    group is about to take over)."""
    with catalog.transaction() as writer:
        writer.exclusive(persons, faces)
        yield writer


@dataclass(frozen=True)
class FaceSource:
    """What a content's faces are detected on, and the frame its boxes are stored in."""

    preview_path: str  # relative to MEDIA_PIPELINE_HOME
    upright: tuple[int, int] | None  # the original's upright size (None: unknown)


@dataclass(frozen=True)
class FoundFace:
    """A face ready to store: box and landmarks already in the original's frame."""

    box: tuple[float, float, float, float]
    landmarks: list[list[float]]
    score: float
    embedding: np.ndarray = field(repr=False)
    crop_path: str | None = None


@dataclass
class FaceTable:
    """Faces of one model in memory for clustering: parallel arrays, one row per face."""

    ids: np.ndarray  # int64
    people: np.ndarray  # int64, -1 where the face is in nobody
    assigned_by: list[str | None]
    embeddings: np.ndarray  # float32 [n, dim], unit rows

    @property
    def by_user(self) -> np.ndarray:
        """The user placed the face (or took it out of every person): never moved again."""
        import numpy as np

        return np.array([by == USER for by in self.assigned_by], dtype=bool)


def scanned(model: str) -> ColumnElement[bool]:
    """A file's content has been analysed by this face model (with or without faces)."""
    return exists().where(
        face_scans.c.content_hash == media_files.c.content_hash, face_scans.c.model == model
    )


def present() -> ColumnElement[bool]:
    """The face is in a file still present in a library."""
    return exists().where(
        media_files.c.content_hash == faces.c.content_hash, media_files.c.status == "present"
    )


def face_sources(catalog: Catalog, content_hashes: Sequence[str]) -> dict[str, FaceSource]:
    """content hash -> its preview and the original's upright size (from any file with it)."""
    found: dict[str, FaceSource] = {}
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(
                thumbnails.c.content_hash,
                thumbnails.c.preview_path,
                media_files.c.width,
                media_files.c.height,
                media_files.c.orientation,
            )
            .join(media_files, media_files.c.content_hash == thumbnails.c.content_hash)
            .where(thumbnails.c.content_hash.in_(list(content_hashes)))
        )
        for content_hash, preview, width, height, orientation in rows:
            if content_hash in found:
                continue
            upright = None
            if width and height:
                upright = (height, width) if (orientation or 1) >= 5 else (width, height)
            found[content_hash] = FaceSource(preview, upright)
    return found


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller box's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / smaller if smaller > 0 else 0.0


def _inherited(box: Sequence[float], old: Sequence[Any]) -> Any:
    """The old face this new box covers (MATCH_OVERLAP), if any: the best-overlapping one."""
    overlap, row = max(
        ((_overlap(box, (row.x1, row.y1, row.x2, row.y2)), row) for row in old),
        key=lambda scored: scored[0],
        default=(0.0, None),
    )
    return row if overlap >= MATCH_OVERLAP else None


def save_face_scans(
    catalog: Catalog, model: str, scans: Sequence[tuple[str, Sequence[FoundFace]]]
) -> None:
    """Store each content's faces by ``model`` and mark it analysed, in one transaction.

    Faces another model found in the same content are replaced; a new face that overlaps
    one of them (MATCH_OVERLAP) keeps its person and who placed it there, so names and
    the user's corrections survive a change of backend.

    Two writers of one content (a worker presumed dead and the copy of its batch that was
    redelivered) take turns: on PostgreSQL each content's advisory lock is held until
    commit, taken in hash order (no deadlock), so the second writer replaces the first's
    rows instead of inserting beside them; SQLite has one writer at a time anyway.
    """
    import numpy as np

    if not scans:
        return
    now = utcnow()
    hashes = [content_hash for content_hash, _ in scans]
    with catalog.transaction() as writer:
        conn = writer.conn
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "SELECT pg_advisory_xact_lock(hashtextextended('face_scans:' || h, 0)) "
                    "FROM unnest(CAST(:hashes AS text[])) AS h ORDER BY h"
                ),
                {"hashes": sorted(set(hashes))},
            )
        old: dict[str, list[Any]] = {}
        for row in conn.execute(
            select(
                faces.c.content_hash, faces.c.x1, faces.c.y1, faces.c.x2, faces.c.y2,
                faces.c.person_id, faces.c.assigned_by, faces.c.certainty,
            ).where(faces.c.content_hash.in_(hashes), faces.c.person_id.is_not(None))
        ):  # fmt: skip
            old.setdefault(row.content_hash, []).append(row)
        conn.execute(delete(faces).where(faces.c.content_hash.in_(hashes)))
        conn.execute(delete(face_scans).where(face_scans.c.content_hash.in_(hashes)))
        rows = []
        for content_hash, found in scans:
            for face in found:
                inherited = _inherited(face.box, old.get(content_hash, []))
                rows.append(
                    {
                        "content_hash": content_hash,
                        "model": model,
                        "x1": face.box[0],
                        "y1": face.box[1],
                        "x2": face.box[2],
                        "y2": face.box[3],
                        "landmarks": json.dumps(face.landmarks),
                        "score": face.score,
                        "embedding": np.asarray(face.embedding, dtype=np.float32).tobytes(),
                        "crop_path": face.crop_path,
                        "person_id": inherited.person_id if inherited else None,
                        "assigned_by": inherited.assigned_by if inherited else None,
                        "certainty": inherited.certainty if inherited else None,
                        "created_at": now,
                    }
                )
        if rows:
            conn.execute(faces.insert(), rows)
        conn.execute(
            face_scans.insert(),
            [
                {"content_hash": h, "model": model, "face_count": len(found), "created_at": now}
                for h, found in scans
            ],
        )


def load_faces(catalog: Target, model: str, page: int = 20_000) -> FaceTable:
    """Every face by ``model`` in a present file, paged by id (no long transaction unless
    inside a rebuild's)."""
    import numpy as np

    ids: list[int] = []
    people: list[int] = []
    assigned_by: list[str | None] = []
    vectors: list[bytes] = []
    after = 0
    while True:
        with _reading(catalog) as conn:
            rows = conn.execute(
                select(faces.c.id, faces.c.person_id, faces.c.assigned_by, faces.c.embedding)
                .where(faces.c.model == model, faces.c.id > after, present())
                .order_by(faces.c.id)
                .limit(page)
            ).all()
        for row in rows:
            ids.append(row.id)
            people.append(row.person_id if row.person_id is not None else -1)
            assigned_by.append(row.assigned_by)
            vectors.append(row.embedding)
        if len(rows) < page:
            break
        after = rows[-1].id
    dim = len(vectors[0]) // 4 if vectors else 0
    embeddings = (
        np.frombuffer(b"".join(vectors), dtype=np.float32).reshape(len(vectors), dim)
        if vectors
        else np.zeros((0, 0), dtype=np.float32)
    )
    return FaceTable(
        np.array(ids, dtype=np.int64),
        np.array(people, dtype=np.int64),
        assigned_by,
        embeddings,
    )


def named_people(catalog: Target) -> dict[int, str]:
    with _reading(catalog) as conn:
        rows = conn.execute(select(persons.c.id, persons.c.name).where(persons.c.name.is_not(None)))
        return {row.id: row.name for row in rows}


def person_named(catalog: Catalog, name: str, cover: int) -> int:
    """The person called ``name`` (case and surrounding blanks aside), created with ``cover``
    as its cover face when nobody is. Looked up and created under the writer's exclusive
    lock over persons: two imports at once never make two people of one name."""
    wanted = name.strip()
    if not wanted:
        raise ValueError("a name cannot be empty")
    with catalog.transaction() as writer:
        writer.exclusive(persons)
        rows = writer.conn.execute(
            select(persons.c.id, persons.c.name).where(persons.c.name.is_not(None))
        )
        for person, existing in rows.all():
            if existing.strip().casefold() == wanted.casefold():
                return int(person)
        now = utcnow()
        result = writer.conn.execute(
            persons.insert().values(
                cover_face_id=cover, name=wanted, created_at=now, updated_at=now
            )
        )
        return int(result.inserted_primary_key[0])


def create_people(catalog: Target, covers: Sequence[int]) -> list[int]:
    """One new person per cover face id; their ids, in order."""
    now = utcnow()
    created = []
    with _writing(catalog) as writer:
        for cover in covers:
            result = writer.conn.execute(
                persons.insert().values(cover_face_id=cover, created_at=now, updated_at=now)
            )
            created.append(int(result.inserted_primary_key[0]))
    return created


def place_faces(
    catalog: Target, assignments: Iterable[tuple[int, int | None, str | None, float | None]]
) -> None:
    """Set (face id, person id, placed by, certainty) of faces still in nobody and not held
    by the user: whoever placed a face first (the user, a concurrent run) keeps it."""
    rows = [
        {"face": face, "person": person, "by": by, "certainty": certainty}
        for face, person, by, certainty in assignments
    ]
    if not rows:
        return
    statement = (
        update(faces)
        .where(
            faces.c.id == bindparam("face"),
            faces.c.person_id.is_(None),
            (faces.c.assigned_by.is_(None)) | (faces.c.assigned_by != USER),
        )
        .values(
            person_id=bindparam("person"),
            assigned_by=bindparam("by"),
            certainty=bindparam("certainty"),
        )
    )
    with _writing(catalog) as writer:
        writer.conn.execute(statement, rows)


def _empty_and_unnamed() -> ColumnElement[bool]:
    return persons.c.name.is_(None) & ~exists().where(faces.c.person_id == persons.c.id)


def drop_empty_people(catalog: Target, person_ids: Sequence[int]) -> int:
    """Remove unnamed people of ``person_ids`` that got no face (a concurrent run placed
    their faces first)."""
    if not person_ids:
        return 0
    with _writing(catalog) as writer:
        result = writer.conn.execute(
            delete(persons).where(persons.c.id.in_(list(person_ids)), _empty_and_unnamed())
        )
        return result.rowcount or 0


def kept_people(catalog: Target) -> set[int]:
    """People a regrouping leaves alone: named ones, and those the user merged into."""
    with _reading(catalog) as conn:
        rows = conn.execute(
            select(persons.c.id).where(
                persons.c.name.is_not(None) | persons.c.merged_at.is_not(None)
            )
        )
        return {row.id for row in rows}


def release_faces(catalog: Target, by: Sequence[str], keep_people: Iterable[int]) -> dict[int, int]:
    """Take faces placed by ``by`` out of every person except ``keep_people`` (the start of a
    regrouping: named and merged people keep theirs, the user's placements are never undone).
    Returns face id -> the person it was in; those people stay (empty) so that the new
    groups can take their ids over: the caller drops the ones left empty."""
    keep = list(keep_people)
    condition = and_(
        faces.c.assigned_by.in_(list(by)),
        faces.c.person_id.is_not(None),
        ~faces.c.person_id.in_(keep),
    )
    with _writing(catalog) as writer:
        released = dict(
            writer.conn.execute(select(faces.c.id, faces.c.person_id).where(condition)).all()
        )
        writer.conn.execute(
            update(faces).where(condition).values(person_id=None, assigned_by=None, certainty=None)
        )
    return released


def grouping_fingerprint(catalog: Target, model: str) -> str | None:
    """The fingerprint (faces/cluster.py) of the grouping that made ``model``'s people."""
    with _reading(catalog) as conn:
        return conn.execute(
            select(face_groupings.c.fingerprint).where(face_groupings.c.model == model)
        ).scalar()


def record_grouping(catalog: Target, model: str, fingerprint: str) -> None:
    with _writing(catalog) as writer:
        writer.conn.execute(delete(face_groupings).where(face_groupings.c.model == model))
        writer.conn.execute(
            face_groupings.insert().values(
                model=model, fingerprint=fingerprint, updated_at=utcnow()
            )
        )


def grouped_models(catalog: Catalog) -> list[str]:
    """Face models whose faces are in people."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(faces.c.model).where(faces.c.person_id.is_not(None)).distinct())
        return sorted(row.model for row in rows)


def face_counts(catalog: Catalog, model: str) -> dict[str, int]:
    """Totals for the UI: faces, faces in a person, people."""
    with catalog.engine.connect() as conn:
        total, placed, people = conn.execute(
            select(
                func.count(),
                func.count(faces.c.person_id),
                func.count(func.distinct(faces.c.person_id)),
            ).where(faces.c.model == model, present())
        ).one()
    return {"faces": int(total), "in_people": int(placed), "people": int(people)}
