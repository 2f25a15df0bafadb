"""Delete Missing Photos, catalog backup and restore, and the errors ledger's clear/retry."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from media_pipeline import settings
from media_pipeline.catalog.schema import media_files
from media_pipeline.catalog.store import open_catalog, utcnow
from media_pipeline.maintenance.backup import backup_catalog, list_backups
from media_pipeline_tests.images import make_jpeg


def _age_missing(days: int) -> None:
    catalog = open_catalog(settings.database_url())
    with catalog.transaction() as writer:
        writer.conn.execute(
            update(media_files)
            .where(media_files.c.status == "missing")
            .values(missing_since=utcnow() - timedelta(days=days))
        )


def test_purge_missing_files_after_the_grace_period(mp, instance, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    make_jpeg(root / "keep.jpg", color=(1, 1, 1))
    make_jpeg(root / "gone.jpg", color=(2, 2, 2))
    make_jpeg(root / "gone-with-copy.jpg", color=(3, 3, 3))
    shutil.copy(root / "gone-with-copy.jpg", root / "copy.jpg")
    mp("library", "add", "lib", str(root))
    mp("run")
    gone = mp.json("info", str(root / "gone.jpg"))
    shared = mp.json("info", str(root / "gone-with-copy.jpg"))
    os.remove(root / "gone.jpg")
    os.remove(root / "gone-with-copy.jpg")
    mp("run")
    assert mp.json("info", str(root / "gone.jpg"))["status"] == "missing"

    _age_missing(10)
    mp("purge-missing")  # within the 30-day grace period: nothing goes
    assert mp.json("info", str(root / "gone.jpg"))["status"] == "missing"

    _age_missing(40)
    listed = mp.json("purge-missing", "--dry-run")
    assert listed["files"] == 2, listed
    assert mp.json("info", str(root / "gone.jpg"))["status"] == "missing"

    mp("purge-missing")
    assert mp("info", str(root / "gone.jpg"), ok=False).exit_code != 0
    assert not Path(gone["preview_path"]).exists() and not Path(gone["thumbnail_path"]).exists()
    # The copy still shows that content: its derivatives stay.
    assert Path(shared["preview_path"]).exists()
    assert mp.json("info", str(root / "copy.jpg"))["preview_path"] == shared["preview_path"]
    assert (root / "keep.jpg").exists() and mp.json("info", str(root / "keep.jpg"))


def test_backup_and_restore_of_the_sqlite_catalog(mp, instance, tmp_path: Path, home: Path):
    root = tmp_path / "lib"
    make_jpeg(root / "a.jpg")
    make_jpeg(root / "b.jpg", color=(5, 5, 5))
    mp("library", "add", "lib", str(root))
    mp("run", "--select", "media_catalog")
    outcome = mp.json("backup")
    [made] = list_backups(home / "backups")
    assert made.suffix == ".sqlite" and outcome["backup"] == str(made), outcome

    (tmp_path / "other").mkdir()
    mp("library", "add", "other", str(tmp_path / "other"))
    os.remove(root / "a.jpg")
    mp("run", "--select", "media_catalog")
    assert mp.json("info", str(root / "a.jpg"))["status"] == "missing"

    mp("restore", str(made), "--yes")
    assert [lib["name"] for lib in mp.json("library", "list")] == ["lib"]
    assert mp.json("info", str(root / "a.jpg"))["status"] == "present"


def test_backups_keep_the_newest(home: Path, tmp_path: Path) -> None:
    catalog = open_catalog(settings.database_url())
    made = [backup_catalog(catalog, home / "backups", keep=2) for _ in range(4)]
    assert list_backups(home / "backups") == [made[3], made[2]]


@pytest.mark.postgres
def test_backup_and_restore_on_postgres(
    mp, home: Path, tmp_path: Path, postgres_database: str, monkeypatch
) -> None:
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{postgres_database}"
    monkeypatch.setenv("MEDIA_PIPELINE_DATABASE_URL", url)
    catalog = open_catalog(url)
    catalog.add_library("lib", str(tmp_path))
    made = backup_catalog(catalog, home / "backups")
    assert made.suffix == ".pgdump"
    catalog.add_library("later", str(tmp_path / "later"))
    mp("restore", str(made), "--yes")
    assert [lib.name for lib in open_catalog(url).libraries()] == ["lib"]


def test_errors_clear_and_retry(mp, instance, tmp_path: Path) -> None:
    root = tmp_path / "lib"
    good = make_jpeg(tmp_path / "good.jpg")
    flaky = root / "flaky.jpg"
    root.mkdir()
    flaky.write_bytes(os.urandom(good.stat().st_size))  # same size as the good file
    stamp = flaky.stat().st_mtime_ns
    mp("library", "add", "lib", str(root))
    mp("run")
    assert [Path(e["path"]).name for e in mp.json("errors")] == ["flaky.jpg"]

    # The content comes back right with the same size and mtime (a NAS hiccup): a plain scan
    # does not look at it again, a retry does.
    flaky.write_bytes(good.read_bytes())
    os.utime(flaky, ns=(stamp, stamp))
    mp("run")
    assert len(mp.json("errors")) == 1
    mp("errors", "--retry")
    assert mp.json("errors") == []
    assert mp.json("info", str(flaky))["status"] == "present"

    (root / "broken.jpg").write_bytes(b"nope")
    mp("run")
    assert len(mp.json("errors")) == 1
    # A stage's failures alone, as a queue's "clear failures" does.
    assert mp.json("errors", "--stage", "thumbnails") == []
    assert mp.json("errors", "--stage", "thumbnails", "--clear") == {
        "cleared": 0,
        "stage": "thumbnails",
    }
    assert [e["stage"] for e in mp.json("errors", "--stage", "scan")] == ["scan"]
    assert mp.json("errors", "--stage", "scan", "--clear")["cleared"] == 1
    assert mp.json("errors") == []
    assert len(mp.json("errors", "--all")) == 2
