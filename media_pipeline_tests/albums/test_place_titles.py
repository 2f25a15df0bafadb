"""Album titles name the places people recognise, through `run` and `albums --json`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.images import make_jpeg

# Lisbon's neighbourhoods (GeoNames' nearest entries) and Berlin-Mitte.
LISBON = [(38.7110, -9.1366), (38.7223, -9.1355), (38.7139, -9.1300)]  # Baixa, Intendente, Alfama
MITTE = (52.5170, 13.3889)


def test_a_weekend_in_lisbon_is_titled_lisbon(mp: MediaPipeline, instance, tmp_path: Path) -> None:
    root = tmp_path / "trips"
    start = datetime(2023, 3, 10, 10)
    for index in range(9):
        make_jpeg(
            root / "lisbon" / f"IMG_{index}.jpg",
            taken=start + timedelta(hours=6 * index),
            offset="+00:00",
            gps=LISBON[index % 3],
            color=(index * 20, 90, 90),
        )
    for index in range(3):
        make_jpeg(
            root / "berlin" / f"IMG_{index}.jpg",
            taken=datetime(2023, 4, 2, 11 + index),
            offset="+02:00",
            gps=MITTE,
            color=(90, index * 20, 90),
        )
    mp("library", "add", "trips", str(root))
    mp("run", "--select", "media_catalog,auto_albums,auto_album_titles")
    albums = mp.json("albums")
    assert [(album["title"], album["place"]) for album in albums] == [
        ("Berlin, 2 April 2023", "Berlin"),
        ("Lisbon, 10–12 March 2023", "Lisbon"),
    ]
    info = mp.json("info", str(root / "lisbon" / "IMG_1.jpg"))
    assert (info["city"], info["state"], info["country"]) == ("Lisbon", "Lisbon", "Portugal")
