"""The asset checks through the CLI: they run with every pipeline run and with `check`, pass on
a healthy library, and each fails on the fault it is there to find."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, update

from media_pipeline import settings
from media_pipeline.catalog.schema import clip_embeddings, face_scans, media_files
from media_pipeline.catalog.store import open_catalog
from media_pipeline.catalog.thumbnails import save_derivatives
from media_pipeline.checks.keys import CHECKS
from media_pipeline.checks.metadata import embedded_metadata
from media_pipeline_tests.images import make_jpeg


def _statuses(mp, *args: str) -> dict[str, dict]:
    return {row["check"]: row for row in mp.json(*args)}


def _library(root: Path) -> list[Path]:
    return [
        make_jpeg(
            root / f"IMG_{index}.jpg",
            color=(40 * index, 90, 200 - 30 * index),
            taken=datetime(2023, 5, index + 1, 12, 0),
            gps=(48.137, 11.575),
            make="Testcam",
        )
        for index in range(4)
    ]


def test_checks_pass_on_a_healthy_library_and_fail_on_planted_faults(
    mp, instance, tmp_path: Path, home: Path
) -> None:
    photos = _library(tmp_path / "photos")
    assert "gps" in embedded_metadata(photos[0])  # the originals carry GPS; derivatives must not
    mp("library", "add", "photos", str(tmp_path / "photos"))
    mp("run")

    # The pipeline run evaluated them; `status` summarises the latest evaluations.
    summary = {row["check"]: row for row in mp.json("status")["checks"]}
    assert set(summary) == {name for _, name in CHECKS}
    assert {name: row["status"] for name, row in summary.items()} == dict.fromkeys(
        summary, "passed"
    ), summary
    assert {row["check"] for row in mp.json("status")["checks"]} == set(summary)
    healthy = _statuses(mp, "check")
    assert {name: row["status"] for name, row in healthy.items()} == dict.fromkeys(
        summary, "passed"
    )

    # Plant one fault for each check.
    first, second, third = (mp.json("info", str(path)) for path in photos[:3])
    Path(first["preview_path"]).unlink()  # a deleted preview
    make_jpeg(Path(second["preview_path"]), gps=(1.0, 2.0))  # a derivative with GPS
    orphan = home / "thumbs" / "ab" / "cd" / ("ab" * 16 + "-preview.jpg")
    make_jpeg(orphan)  # a derivative file no catalog row names
    store = open_catalog(settings.database_url())
    with store.transaction() as writer:
        writer.conn.execute(
            update(media_files)
            .where(media_files.c.content_hash == third["content_hash"])
            .values(content_hash="")
        )
        # A content neither embedded nor scanned for faces, whose vector the index still has.
        fourth = mp.json("info", str(photos[3]))["content_hash"]
        writer.conn.execute(delete(clip_embeddings).where(clip_embeddings.c.content_hash == fourth))
        writer.conn.execute(delete(face_scans).where(face_scans.c.content_hash == fourth))

    result = mp("check", "--json", ok=False)
    assert result.exit_code == 1
    failed = {row["check"]: row for row in mp.json("status")["checks"]}
    assert {name for name, row in failed.items() if row["status"] == "failed"} == {
        "content_hashes",
        "derivative_files_match_catalog",
        "derivatives_carry_no_metadata",
        "previews_cover_files",  # the emptied hash no longer has a preview row
        "embeddings_cover_previews",
        "face_scans_cover_previews",
        "index_matches_embeddings",
    }, failed
    assert "1 present files lack a hash" in failed["content_hashes"]["description"]
    files = failed["derivative_files_match_catalog"]["description"]
    assert "1 derivative files of catalog rows are missing" in files
    assert "1 files under thumbs/ have no catalog row" in files
    assert (
        "1 of 8 sampled derivatives carry metadata"
        in (failed["derivatives_carry_no_metadata"]["description"])
    )
    assert failed["embeddings_cover_previews"]["description"].startswith("1 previewed files")
    assert failed["face_scans_cover_previews"]["description"].startswith("1 previewed files")
    # The fourth's vector, and the third's: its content is no longer that of a present file.
    assert "2 index rows have no embedding" in failed["index_matches_embeddings"]["description"]


def test_a_run_compares_the_derivatives_it_wrote_and_check_compares_all(
    mp, tmp_path: Path, home: Path, monkeypatch
) -> None:
    """A run's derivative check costs what the run rendered, not a walk of every file; a fault
    it did not make is `check`'s to find."""
    import media_pipeline.thumbnails.assets as thumbnail_assets

    _library(tmp_path / "photos")
    mp("library", "add", "photos", str(tmp_path / "photos"))
    lost: list[Path] = []

    def save_and_lose_one(catalog, settings, made) -> None:
        save_derivatives(catalog, settings, made)
        if made and not lost:  # a renderer that records a preview it did not keep
            lost.append(home / made[0].preview_path)
            lost[0].unlink()

    with monkeypatch.context() as patch:
        patch.setattr(thumbnail_assets, "save_derivatives", save_and_lose_one)
        mp("run", "--select", "media_catalog,thumbnails", ok=False)
    row = _derivative_check(mp)
    assert row["status"] == "failed", row
    assert row["description"] == "1 derivative files written by this run are missing"

    mp("run", "--select", "thumbnails")  # nothing to render: nothing of its own to compare
    row = _derivative_check(mp)
    assert row["status"] == "passed", row

    mp("check", ok=False)
    row = _derivative_check(mp)
    assert row["status"] == "failed", row
    assert "1 derivative files of catalog rows are missing" in row["description"]


def _derivative_check(mp) -> dict:
    return {r["check"]: r for r in mp.json("status")["checks"]}["derivative_files_match_catalog"]
