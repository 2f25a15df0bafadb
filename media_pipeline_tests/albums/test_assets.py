"""Auto-albums through the real interfaces: a generated library, `run`, then `albums --json`."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg

from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.images import make_jpeg

MUNICH, PARIS, BERLIN = (48.137, 11.575), (48.857, 2.352), (52.520, 13.405)
ROME, HAMBURG, VIENNA = (41.903, 12.496), (53.551, 9.994), (48.208, 16.374)


def _shoot(root: Path, name: str, times: list[datetime], offset: str, gps) -> set[str]:
    paths = set()
    for index, when in enumerate(times):
        path = root / name / f"IMG_{index:03}.jpg"
        make_jpeg(path, taken=when, offset=offset, gps=gps, color=(index * 7 % 255, 80, 120))
        paths.add(str(path))
    return paths


def _unchanged(instance: dg.DagsterInstance, asset: str) -> bool:
    [record] = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return record.asset_materialization.metadata["inputs_unchanged"].value


def test_known_events_are_recovered_exactly(
    mp: MediaPipeline, instance, tmp_path: Path, home: Path
) -> None:
    root = tmp_path / "events"
    day = datetime(2023, 3, 12, 12, 0)  # a Sunday
    expected = {
        "munich-lunch": _shoot(
            root,
            "munich-lunch",
            [day + timedelta(minutes=40 * i) for i in range(4)],
            "+01:00",
            MUNICH,
        ),
        # The next morning in Paris: 19 h after lunch, 685 km away.
        "paris-trip": _shoot(
            root,
            "paris-trip",
            [datetime(2023, 3, 13, 9) + timedelta(hours=8 * i) for i in range(5)],
            "+01:00",
            PARIS,
        ),
        "new-year": _shoot(
            root,
            "new-year",
            [datetime(2023, 12, 31, 20) + timedelta(hours=2 * i) for i in range(4)],
            "+01:00",
            BERLIN,
        ),
        "no-gps": _shoot(
            root,
            "no-gps",
            [datetime(2023, 6, 10, 9) + timedelta(hours=3 * i) for i in range(3)],
            "+02:00",
            None,
        ),
        # Ten days in Rome, a photo a day at varying hours: every gap under 36 h.
        "rome-holiday": _shoot(
            root,
            "rome-holiday",
            [datetime(2023, 8, 1, 8) + timedelta(hours=24 * i + (i % 3) * 5) for i in range(10)],
            "+02:00",
            ROME,
        ),
        "hamburg": _shoot(
            root,
            "hamburg",
            [datetime(2023, 10, 5, 10) + timedelta(hours=i) for i in range(3)],
            "+02:00",
            HAMBURG,
        ),
        # 30 h after the last Hamburg photo, in Vienna.
        "vienna": _shoot(
            root,
            "vienna",
            [datetime(2023, 10, 6, 18) + timedelta(hours=i) for i in range(3)],
            "+02:00",
            VIENNA,
        ),
    }
    _shoot(root, "snapshots", [datetime(2023, 5, 1, 9), datetime(2023, 5, 1, 10)], "+02:00", None)
    mp("library", "add", "events", str(root))

    mp("run")

    albums = mp.json("albums")
    assert not any(album["undated"] for album in albums)
    assert {frozenset(album["files"]) for album in albums} == {
        frozenset(files) for files in expected.values()
    }
    assert len(albums) == len(expected)
    by_files = {frozenset(album["files"]): album for album in albums}
    munich = by_files[frozenset(expected["munich-lunch"])]
    assert munich["title"] == "Munich, 12 March 2023"  # no people in them: no "lunch"
    assert (munich["start"], munich["end"]) == ("2023-03-12T12:00:00", "2023-03-12T14:00:00")
    assert munich["count"] == 4 and munich["place"] == "Munich"
    assert munich["cover"] in expected["munich-lunch"]
    assert by_files[frozenset(expected["new-year"])]["title"].startswith("New Year's Eve 2023")
    assert by_files[frozenset(expected["rome-holiday"])]["title"] == "Rome, 1–10 August 2023"
    assert by_files[frozenset(expected["no-gps"])]["title"] == "10 June 2023"

    paris_photo = sorted(expected["paris-trip"])[0]
    paris = by_files[frozenset(expected["paris-trip"])]
    assert mp.json("info", paris_photo)["albums"] == [paris["id"]]

    assert not _unchanged(instance, "auto_albums") and not _unchanged(instance, "auto_album_titles")

    # Nothing changed: both keep what they made without grouping or titling again.
    mp("run")
    assert _unchanged(instance, "auto_albums") and _unchanged(instance, "auto_album_titles")
    assert mp.json("albums") == albums

    # Albums that are not what the last run made (a catalog restored from a backup) are
    # grouped again, however unchanged the photos.
    with sqlite3.connect(home / "catalog.db") as catalog:
        catalog.execute("PRAGMA foreign_keys = ON")
        catalog.execute("DELETE FROM albums")
    mp("run")
    assert not _unchanged(instance, "auto_albums") and not _unchanged(instance, "auto_album_titles")
    assert {frozenset(album["files"]) for album in mp.json("albums")} == {
        frozenset(files) for files in expected.values()
    }
    assert by_files[frozenset(expected["rome-holiday"])]["title"] == "Rome, 1–10 August 2023"

    # A re-run after more photos of the same trip keeps the album's id and its files grow.
    extra = root / "paris-trip" / "IMG_900.jpg"
    make_jpeg(extra, taken=datetime(2023, 3, 14, 18), offset="+01:00", gps=PARIS)
    mp("run")
    assert not _unchanged(instance, "auto_albums") and not _unchanged(instance, "auto_album_titles")
    grown = {album["id"]: album for album in mp.json("albums")}
    assert grown[paris["id"]]["count"] == 6 and str(extra) in grown[paris["id"]]["files"]
