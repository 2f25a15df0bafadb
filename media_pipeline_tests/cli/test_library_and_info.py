"""The main path a user takes: add a library, run the pipeline, look at the results."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg

from media_pipeline.runtime.tags import LIBRARY, TRIGGER
from media_pipeline_tests.images import make_jpeg


def test_add_run_and_inspect_a_real_library(mp, instance, immich_library: Path) -> None:
    make_jpeg(
        immich_library / "generated" / "IMG_20230102_153045.jpg",
        taken=datetime(2023, 1, 2, 15, 30, 45),
        offset="+01:00",
        gps=(48.137, 11.575),
        make="Testcam",
        model="T1",
    )
    (immich_library / "generated" / "notes.txt").write_text("not media")
    (immich_library / "generated" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")

    mp("library", "add", "photos", str(immich_library))
    assert mp.json("library", "list") == [
        {"name": "photos", "path": str(immich_library), "files": 0, "missing": 0, "errors": 0}
    ]
    assert instance.get_dynamic_partitions("libraries") == ["photos"]

    result = mp("run")
    assert "media_catalog" in result.stdout

    heic = mp.json("info", str(immich_library / "formats" / "heic" / "IMG_2682.heic"))
    assert heic["library"] == "photos" and heic["status"] == "present"
    assert (heic["make"], heic["model"]) == ("Apple", "iPhone 7")
    assert (heic["width"], heic["height"], heic["kind"]) == (4032, 3024, "image")
    assert heic["mime"] == "image/heic"
    assert abs(heic["latitude"] - 41.2203) < 1e-3 and abs(heic["longitude"] + 96.0716) < 1e-3
    assert heic["time_zone"] == "America/Chicago"
    assert heic["taken_at"] == "2019-03-21T11:04:22.348"  # with SubSecTimeOriginal
    assert heic["taken_at_utc"] == "2019-03-21T16:04:22.348Z"
    assert heic["taken_at_source"] == "exif:DateTimeOriginal"
    assert heic["country"] == "United States"
    assert len(heic["content_hash"]) == 32
    assert heic["faces"] == [] and heic["albums"] == []

    generated = mp.json("info", str(immich_library / "generated" / "IMG_20230102_153045.jpg"))
    assert generated["taken_at"] == "2023-01-02T15:30:45"
    assert generated["taken_at_utc"] == "2023-01-02T14:30:45Z"
    assert generated["time_zone"] == "Europe/Berlin"
    assert generated["city"] and generated["country"] == "Germany"

    errors = mp.json("errors")
    assert [(e["path"], e["stage"]) for e in errors] == [
        (str(immich_library / "generated" / "broken.jpg"), "scan")
    ]
    assert errors[0]["attempts"] == 1 and errors[0]["error"]

    # The run is in Dagster's run storage, tagged, with the counts as materialization metadata.
    [record] = instance.get_run_records(filters=dg.RunsFilter(job_name="library_pipeline"))
    assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    assert record.dagster_run.tags[LIBRARY] == "photos"
    assert record.dagster_run.tags[TRIGGER] == "cli"
    materialization = instance.get_latest_materialization_event(dg.AssetKey("media_catalog"))
    metadata = materialization.asset_materialization.metadata
    media_count = sum(
        1 for p in immich_library.rglob("*") if p.suffix.lower() != ".txt" and p.is_file()
    )
    assert metadata["new"].value == media_count - 1
    assert metadata["failed"].value == 1
    assert metadata["ignored"].value == 1

    status = mp.json("status")
    assert status["running"] == [] and status["queued"] == []
    assert status["file_errors"] == {"scan": 1}
    # Models, then the library's run, then the one over every library (newest first).
    assert [(r["job"], r["library"], r["status"]) for r in status["recent"]] == [
        ("collection_pipeline", None, "SUCCESS"),
        ("library_pipeline", "photos", "SUCCESS"),
        ("models_pipeline", None, "SUCCESS"),
    ]


def test_info_of_an_unknown_file_is_an_error(mp, tmp_path: Path) -> None:
    result = mp("info", str(tmp_path / "nowhere.jpg"), "--json", ok=False)
    assert result.exit_code != 0
    assert "not in the catalog" in result.stderr
    assert result.stdout == ""


def test_run_without_libraries_says_what_to_do(mp) -> None:
    result = mp("run", ok=False)
    assert result.exit_code != 0 and "library add" in result.stderr


def test_relative_paths_are_accepted(mp, instance, immich_library: Path, monkeypatch) -> None:
    subset = immich_library.parent / "small"
    shutil.copytree(immich_library / "formats" / "webp", subset)
    monkeypatch.chdir(subset.parent)
    mp("library", "add", "small", "small")
    mp("run", "--library", "small", "--select", "media_catalog")
    assert mp.json("info", "small/denali.webp")["model"] == "Canon EOS 7D"
