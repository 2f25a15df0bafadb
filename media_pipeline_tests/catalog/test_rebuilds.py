"""Collection rebuilds (duplicate groups, albums) in overlapping runs: each is whole, neither
fails on keys the other inserted (PostgreSQL's UniqueViolation duplicate_files_pkey), on
SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from media_pipeline import settings
from media_pipeline.catalog.albums import AlbumRecord, list_albums, replace_albums
from media_pipeline.catalog.duplicates import GroupOfFiles, list_duplicates, replace_duplicates
from media_pipeline.catalog.store import FileVersion, open_catalog
from media_pipeline_tests.postgres import HOST, PORT, USER

ROUNDS = 15


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalog(request, home: Path, tmp_path: Path):
    if request.param == "postgresql":
        database = request.getfixturevalue("postgres_database")
        return open_catalog(f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{database}")
    return open_catalog(settings.database_url())


def test_two_rebuilds_at_once_both_end_well(catalog, tmp_path: Path) -> None:
    library = catalog.add_library("photos", str(tmp_path))
    with catalog.transaction() as writer:
        writer.upsert_files(
            library.id,
            [
                FileVersion(f"{n}.jpg", 10, 1, f"{n % 3:032}", 1, {"kind": "image"})
                for n in range(9)
            ],
        )
    ids = sorted(catalog.files_in_dir(library.id, "").values(), key=lambda f: f.rel_path)
    groups = [
        GroupOfFiles(similarity=1.0, file_ids=[f.id for f in ids[n::3]], keeper=ids[n].id)
        for n in range(3)
    ]
    when = datetime(2024, 5, 1)
    albums = [AlbumRecord("trip", [f.id for f in ids], when, when, ids[0].id)]
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def rebuild() -> None:
        try:
            start.wait()
            for _ in range(ROUNDS):
                replace_duplicates(catalog, "exact", groups)
                replace_albums(catalog, albums)
        except BaseException as exc:  # reported below, with the other thread's
            failures.append(exc)

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(len(group.files) for group in list_duplicates(catalog)) == [3, 3, 3]
    [album] = [album for album in list_albums(catalog) if not album["undated"]]
    assert album["count"] == 9
