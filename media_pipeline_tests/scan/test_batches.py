"""The scan in batch steps: pass 1 plans chunks in a work folder under MEDIA_PIPELINE_HOME,
each chunk is a batch step, and a chunk delivered twice or racing another chunk for one
moved file repeats nothing and loses nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
from sqlalchemy import select, update

from media_pipeline import settings
from media_pipeline.catalog.schema import media_files
from media_pipeline.catalog.store import open_catalog
from media_pipeline.home import SCAN_WORK
from media_pipeline.scan import scanner
from media_pipeline.scan.scanner import ScanSettings, plan_scan, scan_chunk
from media_pipeline_tests.images import make_jpeg


def _rows() -> dict[str, tuple[int, str]]:
    with open_catalog(settings.database_url()).engine.connect() as conn:
        rows = conn.execute(select(media_files.c.rel_path, media_files.c.id, media_files.c.status))
        return {path: (file_id, status) for path, file_id, status in rows}


def _latest(instance: dg.DagsterInstance) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey("media_catalog"))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_a_scan_runs_as_one_batch_step_per_chunk(mp, instance, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MEDIA_PIPELINE_BATCH_FILES", "3")
    root = tmp_path / "photos"
    for index in range(7):
        make_jpeg(root / f"day{index % 2}" / f"IMG_{index}.jpg", color=(index * 30, 9, 9))
    (root / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    mp("library", "add", "photos", str(root))

    mp("run", "--select", "media_catalog")

    made = _latest(instance)
    assert (made["new"], made["failed"], made["batches"]) == (7, 1, 3)
    event = instance.get_latest_materialization_event(dg.AssetKey("media_catalog"))
    steps = {
        r.event_log_entry.step_key
        for r in instance.get_records_for_run(
            event.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS
        ).records
    }
    batches = {key for key in steps if "media_catalog_batch[" in key}
    assert len(batches) == 3, steps
    assert not any((settings.media_home() / SCAN_WORK).iterdir())  # the work list is gone
    [error] = mp.json("errors")
    assert error["path"].endswith("broken.jpg") and error["stage"] == "scan"

    # A folder moved: its files keep their rows, found across chunks.
    before = _rows()
    os.rename(root / "day0", root / "moved")
    mp("run", "--select", "media_catalog")
    again = _latest(instance)
    assert (again["moved"], again["missing"], again["new"]) == (4, 0, 0)
    after = _rows()
    for path in sorted((root / "moved").iterdir()):
        assert after[f"moved/{path.name}"] == (before[f"day0/{path.name}"][0], "present")


def test_a_chunk_delivered_again_repeats_nothing(library, tmp_path: Path) -> None:
    for index in range(5):
        make_jpeg(library.root / f"img{index}.jpg", color=(index, 40, 0))
    folder = tmp_path / "plan"
    folder.mkdir()
    plan = plan_scan(library.catalog, library.library, folder)
    [first, second] = plan.chunks(3)
    settings = ScanSettings()
    done = scan_chunk(library.catalog, library.library, settings, folder, first)
    assert (done.new, done.files_hashed) == (3, 3)
    # Its acknowledgement was lost: the same chunk again finds its work committed.
    again = scan_chunk(library.catalog, library.library, settings, folder, first)
    assert (again.new, again.unchanged, again.files_hashed) == (0, 3, 0)
    rest = scan_chunk(library.catalog, library.library, settings, folder, second)
    assert rest.new == 2 and len(library.rows()) == 5


def test_a_move_taken_by_another_chunk_first_is_a_new_file(library, monkeypatch) -> None:
    """Two copies of a moved file in two chunks running at once may both pick the missing
    row; the one that commits second catalogues its file as new instead of losing it."""
    make_jpeg(library.root / "a.jpg", color=(7, 7, 7))
    library.scan()
    [(row_id, _)] = library.rows().values()
    (library.root / "new").mkdir()
    shutil.move(library.root / "a.jpg", library.root / "new" / "a.jpg")
    real = scanner._moved_from

    def raced(catalog, lib, content_hash, rel_path, claimed):
        found = real(catalog, lib, content_hash, rel_path, claimed)
        if found is not None:  # another chunk moves the row between the look-up and the commit
            with catalog.transaction() as writer:
                writer.conn.execute(
                    update(media_files)
                    .where(media_files.c.id == found)
                    .values(status="present", rel_path="elsewhere.jpg", missing_since=None)
                )
        return found

    monkeypatch.setattr(scanner, "_moved_from", raced)
    counts = library.scan()
    assert (counts.moved, counts.new) == (0, 1)
    rows = library.rows()
    assert rows["new/a.jpg"][1] == "present" and rows["new/a.jpg"][0] != row_id
    assert rows["elsewhere.jpg"] == (row_id, "present")
