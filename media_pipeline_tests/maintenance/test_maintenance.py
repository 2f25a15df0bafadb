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
    said = mp("purge-missing").stdout  # within the 30-day grace period: nothing goes
    assert said.splitlines()[-1] == "no files missing for 30+ days: nothing to purge"
    assert mp.json("info", str(root / "gone.jpg"))["status"] == "missing"

    _age_missing(40)
    listed = mp.json("purge-missing", "--dry-run")
    expected = sorted(str(root / name) for name in ("gone.jpg", "gone-with-copy.jpg"))
    assert (listed["dry_run"], listed["files"], sorted(listed["paths"])) == (True, 2, expected)
    said = mp("purge-missing", "--dry-run").stdout.splitlines()  # after the run's header
    assert said[-3] == "would purge 2 files missing for 30+ days (dry run: nothing deleted):"
    assert sorted(line.strip() for line in said[-2:]) == expected
    assert mp.json("info", str(root / "gone.jpg"))["status"] == "missing"

    purged = mp.json("purge-missing")
    assert (purged["dry_run"], purged["files"], purged["derivatives_deleted"]) == (False, 2, 2)
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

    restored = mp.json("restore", str(made), "--yes")
    assert restored["restored"] == str(made), restored
    assert [lib["name"] for lib in mp.json("library", "list")] == ["lib"]
    assert mp.json("info", str(root / "a.jpg"))["status"] == "present"

    said = mp("backup").stdout.splitlines()[-1]
    assert said.startswith(f"catalog backed up to {home / 'backups'}/catalog-"), said
    assert said.endswith(f"2 backups kept in {home / 'backups'}"), said


def test_a_backup_or_restore_that_fails_says_why_in_one_line(mp, home: Path, tmp_path: Path):
    home.mkdir(parents=True, exist_ok=True)
    (home / "backups").write_text("a file where the folder goes")
    failed = mp("backup", "--json", ok=False)
    assert failed.exit_code == 1 and failed.stdout == ""  # the run's header is on stderr
    line = failed.stderr.splitlines()[-1]
    assert line.startswith(f"Error: backup failed: cannot create {home / 'backups'}: "), line
    assert "make it a writable folder or set MEDIA_PIPELINE_HOME" in line, line

    bogus = tmp_path / "catalog-bogus.sqlite"
    bogus.write_text("not a database")
    failed = mp("restore", str(bogus), "--yes", ok=False)
    [line] = failed.stderr.splitlines()
    assert failed.exit_code == 1 and "is it a catalog backup?" in line, line


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
