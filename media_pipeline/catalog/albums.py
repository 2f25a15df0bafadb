"""Catalog queries of auto-albums: the photos they are made from, and the albums made.

Photos whose only date is the file's mtime (a copy or download date, not when they were taken)
and Live Photo videos (the still stands for the pair) are never made into albums; the former
are listed apart as the "Undated" set, flagged ``undated`` in ``albums --json``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy import not_ as sa_not

from media_pipeline.catalog.live import standalone
from media_pipeline.catalog.schema import (
    album_files,
    albums,
    faces,
    libraries,
    media_files,
    persons,
)
from media_pipeline.catalog.store import Catalog, file_path, utcnow
from media_pipeline.metadata.capture_time import MTIME
from media_pipeline.photo import Photo


@dataclass(frozen=True)
class AlbumRecord:
    id: str
    file_ids: list[int]
    start_at: datetime
    end_at: datetime
    cover_file_id: int


# The media_files columns a Photo is made of, in its field order.
_PHOTO_COLUMNS = (
    media_files.c.id,
    media_files.c.taken_at_utc,
    media_files.c.taken_at,
    media_files.c.latitude,
    media_files.c.longitude,
    media_files.c.city,
    media_files.c.country,
    media_files.c.content_hash,
)
UNDATED_ID = "undated"
UNDATED_TITLE = "Undated"


def _photo(row: Any, people: tuple[str, ...] = ()) -> Photo:
    return Photo(*row[:7], people=people, content_hash=row.content_hash)


def _undated() -> ColumnElement[bool]:
    return (media_files.c.taken_at_source == MTIME) | (
        media_files.c.taken_at_utc.is_(None) & media_files.c.taken_at.is_(None)
    )


def _album_candidates() -> ColumnElement[bool]:
    return and_(media_files.c.status == "present", standalone())


def photo_rows(catalog: Catalog, page: int = 5000) -> list[Any]:
    """The ``Photo`` columns of every present file of every library dated by its content (not
    only by its mtime), Live Photo videos left out, in id order, read in id pages (no long
    transaction): rows, so that an unchanged collection is recognised before any is made."""
    rows: list[Any] = []
    after = 0
    while True:
        query = (
            select(*_PHOTO_COLUMNS)
            .where(
                media_files.c.id > after,
                _album_candidates(),
                sa_not(_undated()),
            )
            .order_by(media_files.c.id)
            .limit(page)
        )
        with catalog.engine.connect() as conn:
            chunk = conn.execute(query).all()
        rows.extend(chunk)
        if len(chunk) < page:
            return rows
        after = chunk[-1].id


def photos_of(rows: Iterable[Any]) -> Iterator[Photo]:
    return (_photo(row) for row in rows)


def album_count(catalog: Catalog) -> int:
    with catalog.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(albums)).scalar_one()


def album_writes(catalog: Catalog) -> list[Any]:
    """(id, updated_at) of every album: what ``replace_albums`` last wrote (titles aside)."""
    with catalog.engine.connect() as conn:
        return conn.execute(select(albums.c.id, albums.c.updated_at).order_by(albums.c.id)).all()


def album_members(catalog: Catalog) -> dict[str, set[int]]:
    with catalog.engine.connect() as conn:
        return _members(conn)


def _members(conn: Any) -> dict[str, set[int]]:
    """Album id -> its file ids, read on ``conn`` (a writer's, inside its transaction)."""
    members: dict[str, set[int]] = {}
    for album_id, file_id in conn.execute(select(album_files.c.album_id, album_files.c.file_id)):
        members.setdefault(album_id, set()).add(file_id)
    return members


def replace_albums(catalog: Catalog, records: list[AlbumRecord]) -> None:
    """Make the albums table exactly `records`, keeping the rows (and titles) of kept ids. An
    album whose dates, cover and files are what is stored is not written again: a run after
    50 new photos rewrites the albums they joined, not all 1,700 of a 100,000-photo library."""
    now = utcnow()
    keep = [record.id for record in records]
    with catalog.transaction() as writer:
        writer.exclusive(albums, album_files)
        conn = writer.conn
        stored = {
            row.id: (row.start_at, row.end_at, row.cover_file_id)
            for row in conn.execute(
                select(albums.c.id, albums.c.start_at, albums.c.end_at, albums.c.cover_file_id)
            )
        }
        members = _members(conn)
        conn.execute(delete(albums).where(albums.c.id.not_in(keep)))
        conn.execute(delete(album_files).where(album_files.c.album_id.not_in(keep)))
        for record in records:
            same = stored.get(record.id) == (record.start_at, record.end_at, record.cover_file_id)
            if same and members.get(record.id) == set(record.file_ids):
                continue
            values = {
                "start_at": record.start_at,
                "end_at": record.end_at,
                "file_count": len(record.file_ids),
                "cover_file_id": record.cover_file_id,
                "updated_at": now,
            }
            statement = writer.insert(albums).values(id=record.id, created_at=now, **values)
            conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
            conn.execute(delete(album_files).where(album_files.c.album_id == record.id))
            conn.execute(
                album_files.insert(),
                [{"album_id": record.id, "file_id": file_id} for file_id in record.file_ids],
            )


@dataclass(frozen=True)
class AlbumToTitle:
    id: str
    title: str | None
    place: str | None
    photos: list[Photo]


def set_titles(catalog: Catalog, titles: Sequence[tuple[str, str, str | None]]) -> None:
    """(album id, title, place) of each album whose title changed, in one transaction."""
    if not titles:
        return
    with catalog.transaction() as writer:
        for album_id, title, place in titles:
            writer.conn.execute(
                update(albums).where(albums.c.id == album_id).values(title=title, place=place)
            )


def named_in_albums(catalog: Catalog) -> dict[int, tuple[str, ...]]:
    """File id -> the named people in it (sorted), for the files in albums."""
    named: dict[int, set[str]] = {}
    with catalog.engine.connect() as conn:
        for file_id, name in conn.execute(
            select(album_files.c.file_id, persons.c.name)
            .join(media_files, media_files.c.id == album_files.c.file_id)
            .join(faces, faces.c.content_hash == media_files.c.content_hash)
            .join(persons, and_(persons.c.id == faces.c.person_id, persons.c.name.is_not(None)))
        ):
            named.setdefault(file_id, set()).add(name)
    return {file_id: tuple(sorted(names)) for file_id, names in sorted(named.items())}


def album_photos(catalog: Catalog, named: dict[int, tuple[str, ...]]) -> Iterator[AlbumToTitle]:
    """Each album with its title and place as stored and its photos (with ``named``, from
    ``named_in_albums``), for titling: one query, however many albums."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(albums.c.id, albums.c.title, albums.c.place, *_PHOTO_COLUMNS)
            .join(album_files, album_files.c.album_id == albums.c.id)
            .join(media_files, media_files.c.id == album_files.c.file_id)
            .order_by(albums.c.id, media_files.c.id)
        )
        for album_id, members in itertools.groupby(rows, key=lambda row: row[0]):
            photos, title, place = [], None, None
            for row in members:
                title, place = row[1], row[2]
                people = named.get(row[3], ())  # row[0] is the album's id
                photos.append(Photo(*row[3:10], people=people, content_hash=row.content_hash))
            yield AlbumToTitle(album_id, title, place, photos)


def list_albums(catalog: Catalog) -> list[dict[str, Any]]:
    """Albums newest first, each with its files' absolute paths and its cover's path; then the
    "Undated" set (``undated`` true), when some files have no date of their own."""
    path = func.coalesce(libraries.c.root, "")
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(albums).order_by(albums.c.start_at.desc())).mappings().all()
        files: dict[str, list[str]] = {}
        covers: dict[int, str] = {}
        members = conn.execute(
            select(album_files.c.album_id, media_files.c.id, path, media_files.c.rel_path)
            .join(media_files, media_files.c.id == album_files.c.file_id)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .order_by(media_files.c.taken_at_utc, media_files.c.taken_at, media_files.c.id)
        )
        for album_id, file_id, root, rel_path in members:
            absolute = file_path(root, rel_path)
            files.setdefault(album_id, []).append(absolute)
            covers[file_id] = absolute
    return [
        {
            "id": row["id"],
            "title": row["title"],
            "start": row["start_at"],
            "end": row["end_at"],
            "place": row["place"],
            "count": row["file_count"],
            "cover": covers.get(row["cover_file_id"]),
            "files": files.get(row["id"], []),
            "undated": False,
        }
        for row in rows
    ] + _undated_set(catalog)


def _undated_set(catalog: Catalog) -> list[dict[str, Any]]:
    """The files dated only by their mtime, as one flagged set (empty list when none)."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(libraries.c.root, media_files.c.rel_path)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .where(_album_candidates(), _undated())
            .order_by(libraries.c.root, media_files.c.rel_path)
        ).all()
    if not rows:
        return []
    paths = [file_path(root, rel_path) for root, rel_path in rows]
    return [
        {
            "id": UNDATED_ID,
            "title": UNDATED_TITLE,
            "start": None,
            "end": None,
            "place": None,
            "count": len(paths),
            "cover": paths[0],
            "files": paths,
            "undated": True,
        }
    ]


def albums_of_file(catalog: Catalog, file_id: int) -> list[str]:
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(album_files.c.album_id)
            .where(album_files.c.file_id == file_id)
            .order_by(album_files.c.album_id)
        )
        return [row[0] for row in rows]
