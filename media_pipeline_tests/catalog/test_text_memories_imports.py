"""The catalog queries of recognised text, memories and import moves on both dialects
(SQLite, PostgreSQL): LIKE escapes, month extraction, journal ids and row moves."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from media_pipeline import settings
from media_pipeline.catalog import imports as journal
from media_pipeline.catalog.memories import candidates
from media_pipeline.catalog.store import FileVersion, open_catalog
from media_pipeline.catalog.text import find_text, save_text
from media_pipeline.photo import TextLine
from media_pipeline_tests.postgres import HOST, PORT, USER


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def catalog(request, home: Path, monkeypatch):
    if request.param == "postgres":
        name = request.getfixturevalue("postgres_database")
        url = f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{name}"
        monkeypatch.setenv("MEDIA_PIPELINE_DATABASE_URL", url)
    return open_catalog(settings.database_url())


def _file(rel_path: str, content_hash: str, taken: datetime, source: str = "exif") -> FileVersion:
    metadata = {"kind": "image", "mime": "image/jpeg", "taken_at": taken}
    return FileVersion(rel_path, 10, 1, content_hash, 1, {**metadata, "taken_at_source": source})


def test_text_memories_and_moves(catalog, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    library = catalog.add_library("a", str(tmp_path / "a"))
    target = catalog.add_library("b", str(tmp_path / "b"))
    with catalog.transaction() as writer:
        writer.upsert_files(
            library.id,
            [
                _file("sign.jpg", "h1", datetime(2020, 12, 2, 23, 50)),
                _file("pct.jpg", "h2", datetime(2019, 12, 3, 0, 10)),
                _file("copied.jpg", "h3", datetime(2018, 12, 2, 9), source="file:mtime"),
            ],
        )
    line = TextLine("CAFÉ 100% Öl_frei", 0.9, (0.1, 0.1, 0.5, 0.2))
    save_text(catalog, "m", [("h1", [line]), ("h2", [])])
    assert find_text(catalog, "cafe", 5) == [("h1", "CAFÉ 100% Öl_frei")]
    assert find_text(catalog, "100% ol_", 5) == [("h1", "CAFÉ 100% Öl_frei")]
    assert find_text(catalog, "1_0", 5) == []  # "_" is a character, not a wildcard

    # A day either side to spare; a date guessed from the file's mtime never counts.
    found = candidates(catalog, date(2023, 12, 2), 0, lambda _: False, tmp_path)
    assert sorted(c.taken_at for c in found) == [
        datetime(2019, 12, 3, 0, 10),
        datetime(2020, 12, 2, 23, 50),
    ]

    [row] = [r for r in journal.present_rows(catalog, library.id) if r.rel_path == "sign.jpg"]
    move = journal.add_move(catalog, "run-1", "import", row, target, "2020/sign.jpg")
    journal.finish_move(catalog, move, 10, 2)
    [moved] = journal.present_rows(catalog, target.id)
    assert (moved.id, moved.rel_path) == (row.id, "2020/sign.jpg")
    [entry] = journal.move_log(catalog, "run-1")
    assert entry["from"] == str(tmp_path / "a" / "sign.jpg") and entry["state"] == "done"
