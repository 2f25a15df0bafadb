"""Bad input never fails a scan: each bad file is one clear row in the errors ledger."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap
import zlib
from pathlib import Path

import pytest

from media_pipeline import settings
from media_pipeline.catalog.failures import FileFailure, list_errors, record_errors
from media_pipeline.catalog.store import open_catalog
from media_pipeline.scan import scanner
from media_pipeline_tests.conftest import IMMICH
from media_pipeline_tests.images import make_jpeg


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a huge size: the decoder must refuse it before allocating pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def test_every_kind_of_bad_input_is_recorded_and_skipped(library, tmp_path: Path) -> None:
    root = library.root
    make_jpeg(root / "good.jpg")
    (root / "empty.jpg").write_bytes(b"")
    whole = (IMMICH / "albums" / "nature" / "prairie_falcon.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (root / "corrupt.jpg").write_bytes(os.urandom(4096))
    shutil.copy(IMMICH / "formats" / "png" / "density_plot.png", root / "really-a-png.jpg")
    (root / "layers.psd").write_bytes(b"8BPS" + b"\0" * 100)
    (root / "bomb.png").write_bytes(png_header_only(60_000, 60_000))
    os.symlink(root / "nowhere.jpg", root / "broken-link.jpg")
    os.symlink(root / "loop2.jpg", root / "loop1.jpg")
    os.symlink(root / "loop1.jpg", root / "loop2.jpg")
    (tmp_path / "outside.jpg").write_bytes(whole)
    os.symlink(tmp_path / "outside.jpg", root / "outside.jpg")
    with open(os.path.join(os.fsencode(root), b"f\xf6to.jpg"), "wb") as handle:
        handle.write(whole)

    counts = library.scan()

    errors = library.errors()
    assert set(errors) == {
        "empty.jpg",
        "truncated.jpg",
        "corrupt.jpg",
        "really-a-png.jpg",
        "layers.psd",
        "bomb.png",
        "broken-link.jpg",
        "loop1.jpg",
        "loop2.jpg",
        "outside.jpg",
        "f\\xf6to.jpg",
    }
    assert "empty" in errors["empty.jpg"]
    assert "truncated" in errors["truncated.jpg"]
    assert "content is PNG" in errors["really-a-png.jpg"]
    assert "unsupported" in errors["layers.psd"]
    assert "60000x60000" in errors["bomb.png"]
    assert "broken symbolic link" in errors["broken-link.jpg"]
    assert "loop" in errors["loop1.jpg"]
    assert "outside the library" in errors["outside.jpg"]
    assert "UTF-8" in errors["f\\xf6to.jpg"]
    # The good file and the mis-named PNG are catalogued; nothing else is.
    assert set(library.rows()) == {"good.jpg", "really-a-png.jpg"}
    # The mis-named PNG is listed as a warning but counts as catalogued, not failed.
    assert counts.new == 2 and counts.failed == len(errors) - 1

    # Unchanged failures are not retried on every scan; fixing a file resolves its error.
    again = library.scan()
    assert again.failed_unchanged == 5 and again.files_hashed == 0
    make_jpeg(root / "truncated.jpg")
    fixed = library.scan()
    assert fixed.new == 1
    assert "truncated.jpg" not in library.errors()


def test_a_file_vanishing_mid_scan_is_recorded(library, monkeypatch) -> None:
    make_jpeg(library.root / "stays.jpg")
    make_jpeg(library.root / "goes.jpg", color=(0, 0, 0))
    real_walk = scanner.walk

    def walk_then_delete(root: str):
        yield from real_walk(root)
        os.remove(library.root / "goes.jpg")  # after the walk listed it, before it is read

    monkeypatch.setattr(scanner, "walk", walk_then_delete)
    counts = library.scan()
    assert (counts.new, counts.failed) == (1, 1)
    assert library.errors() == {"goes.jpg": "file vanished during processing"}

    # The file is gone: the next scan resolves its row, the ledger lists what is wrong now.
    monkeypatch.undo()
    library.scan()
    assert library.errors() == {}
    [row] = list_errors(library.catalog, include_resolved=True)
    assert row["rel_path"] == "goes.jpg" and row["resolved_at"] is not None


def test_failures_of_files_that_are_gone_are_resolved_in_every_stage(mp, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_jpeg(root / "good.jpg")
    make_jpeg(root / "later-gone.jpg", color=(0, 0, 90))
    (root / "empty.jpg").write_bytes(b"")
    mp("library", "add", "photos", str(root))
    mp("run", "--select", "media_catalog")
    catalog = open_catalog(settings.database_url())
    library = catalog.library("photos")
    with catalog.transaction() as writer:  # as a failed render of it would have recorded
        record_errors(writer, library.id, [FileFailure("later-gone.jpg", "thumbnails", "bad")])
    assert {(e["path"], e["stage"]) for e in mp.json("errors")} == {
        (str(root / "empty.jpg"), "scan"),
        (str(root / "later-gone.jpg"), "thumbnails"),
    }
    os.remove(root / "empty.jpg")
    os.remove(root / "later-gone.jpg")
    mp("run", "--select", "media_catalog")
    assert mp.json("errors") == []
    assert mp.json("status")["file_errors"] == {}


def test_unreadable_files_and_folders(home: Path) -> None:
    """Permissions only bind non-root users: the scan runs as `nobody` when tests run as root."""
    base = Path(tempfile.mkdtemp(prefix="media-pipeline-permissions-"))
    try:
        root = base / "library"
        make_jpeg(root / "readable.jpg")
        make_jpeg(root / "secret.jpg", color=(9, 9, 9))
        make_jpeg(root / "locked" / "inside.jpg")
        url = f"sqlite:///{base / 'catalog.db'}"
        catalog = open_catalog(url)
        catalog.add_library("test", str(root))
        script = textwrap.dedent(
            f"""
            from media_pipeline.catalog.store import open_catalog
            from media_pipeline.scan.scanner import scan_library
            catalog = open_catalog({url!r})
            counts = scan_library(catalog, catalog.library("test"))
            print(counts.new, counts.failed)
            """
        )
        command = [sys.executable, "-c", script]
        if os.geteuid() == 0:
            for path in [base, *base.rglob("*")]:
                os.chmod(path, 0o777 if path.is_dir() else 0o666)
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        os.chmod(root / "secret.jpg", 0o000)
        os.chmod(root / "locked", 0o000)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        finally:
            os.chmod(root / "locked", 0o755)
            os.chmod(root / "secret.jpg", 0o644)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["1", "2"]
        errors = {row["rel_path"]: row["error"] for row in list_errors(catalog)}
        assert "Permission denied" in errors["secret.jpg"]
        assert "Permission denied" in errors["locked"]
        library = catalog.library("test")
        assert set(catalog.files_in_dir(library.id, "")) == {"readable.jpg"}
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("name", ["clip.mp4"])
def test_a_corrupt_video_is_recorded(library, name: str) -> None:
    (library.root / name).write_bytes(b"\0\0\0\x18ftypmp42" + os.urandom(2000))
    counts = library.scan()
    assert counts.failed == 1 and name in library.errors()
