"""Incremental scans: only new or changed files are hashed; moves keep their rows."""

from __future__ import annotations

import os
import shutil
from datetime import datetime

import pytest

from media_pipeline.scan.scanner import ScanRefused
from media_pipeline_tests.images import make_jpeg


def test_add_modify_rename_delete_between_scans(library) -> None:
    root = library.root
    make_jpeg(root / "a.jpg", color=(1, 2, 3))
    make_jpeg(root / "b.jpg", color=(4, 5, 6))
    make_jpeg(root / "sub" / "c.jpg", color=(7, 8, 9))
    first = library.scan()
    assert (first.new, first.files_hashed, first.failed) == (3, 3, 0)
    ids = {path: file_id for path, (file_id, _) in library.rows().items()}

    again = library.scan()
    assert (again.unchanged, again.files_hashed, again.new) == (3, 0, 0)

    make_jpeg(root / "d.jpg", color=(10, 11, 12))
    make_jpeg(root / "a.jpg", color=(99, 99, 99))
    os.utime(root / "a.jpg", ns=(1, 1))
    (root / "moved").mkdir()
    os.rename(root / "b.jpg", root / "moved" / "b-renamed.jpg")
    os.remove(root / "sub" / "c.jpg")
    changes = library.scan()
    assert (changes.new, changes.changed, changes.moved, changes.missing) == (1, 1, 1, 1)
    assert changes.files_hashed == 3  # d, a and the renamed b: never the unchanged ones
    rows = library.rows()
    assert rows["moved/b-renamed.jpg"] == (ids["b.jpg"], "present")
    assert rows["a.jpg"] == (ids["a.jpg"], "present")
    assert rows["sub/c.jpg"] == (ids["sub/c.jpg"], "missing")
    assert "b.jpg" not in rows

    # A whole folder renamed: every file keeps its row, nothing is missing.
    os.rename(root / "moved", root / "renamed-folder")
    folder = library.scan()
    assert (folder.moved, folder.missing, folder.new) == (1, 0, 0)
    assert library.rows()["renamed-folder/b-renamed.jpg"][0] == ids["b.jpg"]

    # A byte-identical copy is a new file of its own; the deleted file coming back is present.
    shutil.copy2(root / "d.jpg", root / "d-copy.jpg")
    make_jpeg(root / "sub" / "c.jpg", color=(7, 8, 9))
    back = library.scan()
    assert (back.new, back.changed, back.moved) == (1, 1, 0)
    rows = library.rows()
    assert rows["sub/c.jpg"] == (ids["sub/c.jpg"], "present")
    assert rows["d-copy.jpg"][0] != rows["d.jpg"][0]


def test_copies_of_one_content_moves_and_new_copies(library) -> None:
    """Copies of one content are new files, each its own row; two copies moved in one batch
    take over two different rows; a copy added beside them is new."""
    root = library.root
    make_jpeg(root / "a.jpg", color=(5, 5, 5))
    for name in ("b.jpg", "c.jpg", "d.jpg"):
        shutil.copy(root / "a.jpg", root / name)
    first = library.scan()
    assert (first.new, first.moved) == (4, 0)
    ids = {path: file_id for path, (file_id, _) in library.rows().items()}

    (root / "moved").mkdir()
    os.rename(root / "b.jpg", root / "moved" / "b.jpg")
    os.rename(root / "c.jpg", root / "moved" / "c.jpg")
    shutil.copy(root / "a.jpg", root / "moved" / "e.jpg")
    counts = library.scan()
    assert (counts.moved, counts.new, counts.missing) == (2, 1, 0)
    rows = library.rows()
    assert {rows["moved/b.jpg"][0], rows["moved/c.jpg"][0]} == {ids["b.jpg"], ids["c.jpg"]}
    assert rows["moved/e.jpg"][0] not in ids.values()
    assert {status for _, status in rows.values()} == {"present"} and len(rows) == 5


def test_moved_into_an_earlier_folder_is_a_move_not_missing(library) -> None:
    """The walk sees the destination before or after the source: both orders are a move."""
    root = library.root
    make_jpeg(root / "a" / "one.jpg", color=(1, 1, 1))
    make_jpeg(root / "z" / "two.jpg", color=(2, 2, 2))
    library.scan()
    os.rename(root / "z" / "two.jpg", root / "a" / "two.jpg")
    os.rename(root / "a" / "one.jpg", root / "z" / "one.jpg")
    counts = library.scan()
    assert (counts.moved, counts.missing, counts.new) == (2, 0, 0)
    assert {status for _, status in library.rows().values()} == {"present"}


def test_interrupted_scan_keeps_committed_batches_and_resumes(library) -> None:
    for index in range(12):
        make_jpeg(library.root / f"img{index:02}.jpg", color=(index, 0, 0))

    def interrupt(done: int, total: int, elapsed: float) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    from media_pipeline.scan.scanner import ScanSettings, scan_library

    with pytest.raises(KeyboardInterrupt):
        scan_library(
            library.catalog,
            library.library,
            ScanSettings(batch_size=2, progress_seconds=0),
            progress=interrupt,
        )
    kept = len(library.rows())
    assert 5 <= kept < 12  # everything processed before the interruption was committed
    resumed = library.scan()
    assert (resumed.new, resumed.unchanged) == (12 - kept, kept)


def test_sidecar_is_read_not_catalogued_and_its_edit_rescans(library) -> None:
    make_jpeg(library.root / "IMG_1.jpg")
    sidecar = library.root / "IMG_1.jpg.xmp"
    sidecar.write_text(_xmp("2020-05-06T07:08:09"))
    library.scan()
    assert list(library.rows()) == ["IMG_1.jpg"]
    record = library.catalog.file_record(library.library, "IMG_1.jpg")
    assert record["taken_at"] == datetime(2020, 5, 6, 7, 8, 9)
    sidecar.write_text(_xmp("2021-01-01T00:00:00"))
    os.utime(sidecar, ns=(10**18, 10**18))
    assert library.scan().changed == 1
    record = library.catalog.file_record(library.library, "IMG_1.jpg")
    assert record["taken_at"] == datetime(2021, 1, 1)


def test_an_unmounted_library_is_refused_not_marked_missing(library) -> None:
    make_jpeg(library.root / "a.jpg")
    library.scan()
    os.remove(library.root / "a.jpg")
    with pytest.raises(ScanRefused, match="is the drive mounted"):
        library.scan()
    shutil.rmtree(library.root)
    with pytest.raises(ScanRefused, match="not available"):
        library.scan()
    assert library.rows()["a.jpg"][1] == "present"


def _xmp(date: str) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        f'exif:DateTimeOriginal="{date}"/></rdf:RDF></x:xmpmeta>'
    )
