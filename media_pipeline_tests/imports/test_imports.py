"""Import folders through `media-pipeline`: `library add --import-into --template`, `run`,
`import run --dry-run`, `import log`, `import undo`, a template change, a file still being
written, and a process killed (SIGKILL) between the verified copy and the source's removal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from media_pipeline import settings
from media_pipeline.catalog.schema import media_files
from media_pipeline.catalog.store import open_catalog
from media_pipeline_tests.images import make_jpeg

DAY = "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}"
MONTH = "{{y}}/{{MMM}}/{{filename}}"
NOON_2021_07_04 = datetime(2021, 7, 4, 12).timestamp()


def _rows(content_hash: str) -> list:
    store = open_catalog(settings.database_url())
    with store.engine.connect() as conn:
        return conn.execute(
            select(media_files.c.id, media_files.c.library_id, media_files.c.rel_path).where(
                media_files.c.content_hash == content_hash, media_files.c.status == "present"
            )
        ).all()


def _libraries(mp, tmp_path: Path, template: str = DAY) -> tuple[Path, Path]:
    photos, inbox = tmp_path / "photos", tmp_path / "inbox"
    photos.mkdir()
    inbox.mkdir()
    mp("library", "add", "photos", str(photos))
    mp("library", "add", "inbox", str(inbox), "--import-into", "photos", "--template", template)
    return photos, inbox


def _arrive(inbox: Path) -> dict[str, Path]:
    arrived = {
        "first": make_jpeg(inbox / "DCIM" / "IMG_0001.jpg", taken=datetime(2023, 3, 12, 9)),
        "second": make_jpeg(
            inbox / "DCIM" / "IMG_0002.jpg", taken=datetime(2023, 3, 12, 10), color=(1, 2, 3)
        ),
        "undated": make_jpeg(inbox / "nodate.jpg", color=(9, 9, 9)),
    }
    os.utime(arrived["undated"], (NOON_2021_07_04, NOON_2021_07_04))
    return arrived


def test_import_template_change_and_undo(mp, instance, tmp_path: Path) -> None:
    photos, inbox = _libraries(mp, tmp_path)
    # The user's own file where the first arrival would go: it gets a suffix instead.
    own = make_jpeg(photos / "2023" / "2023-03-12" / "IMG_0001.jpg", color=(250, 0, 0))
    own_bytes = own.read_bytes()
    arrived = _arrive(inbox)
    contents = {name: path.read_bytes() for name, path in arrived.items()}
    mp("run", "--select", "media_catalog")
    first_hash = mp.json("info", str(arrived["first"]))["content_hash"]

    plan = mp.json("import", "run", "inbox", "--dry-run")
    assert {(Path(p["from"]).name, p["to"]) for p in plan} == {
        ("IMG_0001.jpg", str(photos / "2023/2023-03-12/IMG_0001+1.jpg")),
        ("IMG_0002.jpg", str(photos / "2023/2023-03-12/IMG_0002.jpg")),
        ("nodate.jpg", str(photos / "2021/2021-07-04/nodate.jpg")),
    }
    assert all(path.exists() for path in arrived.values())  # a dry run moves nothing
    [(row_id, _, _)] = _rows(first_hash)

    mp("run", "--select", "media_catalog,imported_files")

    expected = {
        "first": photos / "2023/2023-03-12/IMG_0001+1.jpg",
        "second": photos / "2023/2023-03-12/IMG_0002.jpg",
        "undated": photos / "2021/2021-07-04/nodate.jpg",
    }
    for name, target in expected.items():
        assert target.read_bytes() == contents[name] and not arrived[name].exists()
        record = mp.json("info", str(target))
        assert record["library"] == "photos" and record["status"] == "present"
    assert own.read_bytes() == own_bytes
    [(same_id, _, rel_path)] = _rows(first_hash)  # the row moved with the file
    assert (same_id, rel_path) == (row_id, "2023/2023-03-12/IMG_0001+1.jpg")
    log = mp.json("import", "log")
    assert len(log) == 3 and {entry["state"] for entry in log} == {"done"}
    import_run = log[0]["run_id"]
    assert {entry["content_hash"] for entry in log} >= {first_hash}
    assert mp.json("errors") == []

    # A new template moves what was imported, by the name it arrived with; never the
    # user's own file.
    mp("library", "add", "inbox", str(inbox), "--import-into", "photos", "--template", MONTH)
    mp("run", "--select", "media_catalog,imported_files")
    moved = {
        "first": photos / "2023/Mar/IMG_0001.jpg",
        "second": photos / "2023/Mar/IMG_0002.jpg",
        "undated": photos / "2021/Jul/nodate.jpg",
    }
    for name, target in moved.items():
        assert target.read_bytes() == contents[name] and not expected[name].exists()
    assert own.read_bytes() == own_bytes
    migration = next(e["run_id"] for e in mp.json("import", "log") if e["kind"] == "migrate")

    # Undo the migration, then the import: everything is back where it arrived, and stays.
    assert len(mp.json("import", "undo", migration)) == 3
    assert all(target.read_bytes() == contents[name] for name, target in expected.items())
    assert len(mp.json("import", "undo", import_run)) == 3
    assert all(path.read_bytes() == contents[name] for name, path in arrived.items())
    mp("run", "--select", "media_catalog,imported_files")
    assert all(path.exists() for path in arrived.values())
    [(back_id, _, back_path)] = _rows(first_hash)
    assert (back_id, back_path) == (row_id, "DCIM/IMG_0001.jpg")
    assert mp("import", "undo", "no-such-run", ok=False).exit_code == 1


def test_a_file_still_being_written_waits(mp, instance, tmp_path: Path) -> None:
    photos, inbox = _libraries(mp, tmp_path)
    growing = make_jpeg(inbox / "IMG_0100.jpg", taken=datetime(2022, 1, 2, 3))
    mp("run", "--select", "media_catalog")
    with open(growing, "ab") as handle:  # the camera is still writing it
        handle.write(b"\0" * 1000)

    mp("run", "--select", "imported_files")
    assert growing.exists() and not (photos / "2022").exists()

    written = growing.read_bytes()
    mp("import", "run", "inbox")  # unchanged since the last look: moved
    assert not growing.exists()
    assert (photos / "2022/2022-01-02/IMG_0100.jpg").read_bytes() == written


KILLED_AFTER_COPY = """
import os, signal, sys
from media_pipeline.imports import files

def killed(source):
    os.kill(os.getpid(), signal.SIGKILL)

files.remove_source = killed
from media_pipeline.cli.main import main
sys.argv = ["media-pipeline", "run", "--select", "media_catalog,imported_files"]
main()
"""


def test_a_kill_between_copy_and_delete_is_finished_next_run(mp, instance, tmp_path) -> None:
    photos, inbox = _libraries(mp, tmp_path)
    arrived = make_jpeg(inbox / "IMG_0007.jpg", taken=datetime(2020, 5, 6, 7))
    content = arrived.read_bytes()
    target = photos / "2020/2020-05-06/IMG_0007.jpg"

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_COPY], env=os.environ, capture_output=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert arrived.read_bytes() == content and target.read_bytes() == content  # both there
    content_hash = mp.json("info", str(arrived))["content_hash"]
    [(row_id, _, _)] = _rows(content_hash)

    # A scan of the target now catalogues the copy as a second file; the next import run
    # finishes the move from its journal, and the copy's row gives way to the moved one.
    mp("run", "--library", "photos", "--select", "media_catalog")
    assert len(_rows(content_hash)) == 2
    mp("run", "--select", "media_catalog,imported_files")

    assert not arrived.exists() and target.read_bytes() == content
    [(same_id, _, rel_path)] = _rows(content_hash)  # one row, the same one
    assert (same_id, rel_path) == (row_id, "2020/2020-05-06/IMG_0007.jpg")
    assert not list(photos.rglob(".import-*"))
    assert [entry["state"] for entry in mp.json("import", "log")] == ["done"]
    assert mp.json("errors") == []
