"""Pass 2 in worker processes: the same rows, counts and errors as in the scan's process, and a
decoder that crashes its worker costs one file (its run of files is described again one by
one)."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import select

from media_pipeline import settings
from media_pipeline.catalog.failures import list_errors
from media_pipeline.catalog.schema import media_files
from media_pipeline.scan import scanner
from media_pipeline.scan.describe import Described, Job, describe_file
from media_pipeline_tests.corpus import IMMICH
from media_pipeline_tests.images import make_jpeg
from media_pipeline_tests.scan.conftest import LibraryUnderTest

PER_LIBRARY = ("id", "library_id", "first_seen", "updated_at", "paired_with")


def crash_on_poison(job: Job, settings):
    """describe_file, except that a file named poison* kills its worker, as a segfault would."""
    if os.path.basename(job.path).startswith("poison"):
        os._exit(139)
    return describe_file(job, settings)


def crash_on_poison_run(jobs: list[Job], settings) -> list[Described | str]:
    """describe_files, except that a run holding a poison* file kills its worker."""
    return [crash_on_poison(job, settings) for job in jobs]


def _library_folder(root: Path) -> None:
    shutil.copytree(IMMICH, root, ignore=shutil.ignore_patterns("README*"), dirs_exist_ok=True)
    whole = (IMMICH / "albums" / "nature" / "prairie_falcon.jpg").read_bytes()
    (root / "bad").mkdir()
    (root / "bad" / "empty.jpg").write_bytes(b"")
    (root / "bad" / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (root / "bad" / "corrupt.jpg").write_bytes(os.urandom(4096))
    shutil.copy(IMMICH / "formats" / "png" / "density_plot.png", root / "bad" / "png.jpg")


def _catalogued(library) -> dict[str, dict]:
    with library.catalog.engine.connect() as conn:
        rows = conn.execute(
            select(media_files).where(media_files.c.library_id == library.library.id)
        )
        return {
            row.rel_path: {k: v for k, v in row._mapping.items() if k not in PER_LIBRARY}
            for row in rows
        }


def test_workers_describe_exactly_what_the_scan_process_does(library, tmp_path: Path) -> None:
    _library_folder(library.root)
    other = library.catalog.add_library("workers", str(tmp_path / "copy"))
    shutil.copytree(library.root, other.root)  # modification times too

    alone = library.scan(workers=1, chunk_files=10_000)
    parallel = LibraryUnderTest(library.catalog, other)
    spread = parallel.scan(workers=2, parallel_from=1, chunk_files=10_000)

    assert asdict(alone) | {"seconds": 0, "walk_seconds": 0} == asdict(spread) | {
        "seconds": 0,
        "walk_seconds": 0,
    }
    assert alone.new > 20 and alone.failed == 3
    one, many = _catalogued(library), _catalogued(parallel)
    assert set(one) == set(many)
    differ = {
        (path, key): (value, many[path][key])
        for path, row in one.items()
        for key, value in row.items()
        if many[path][key] != value
    }
    assert not differ
    by_library: dict[str, dict[str, str]] = {}
    for error in list_errors(library.catalog):
        by_library.setdefault(error["library"], {})[error["rel_path"]] = error["error"]
    errors, spread_errors = by_library["test"], by_library["workers"]
    assert errors == spread_errors and len(errors) == 4  # three failed, one mis-named PNG
    motion = [row for row in _catalogued(parallel).values() if row["motion_video"]]
    assert motion and all((settings.media_home() / r["motion_video"]).is_file() for r in motion)


def test_a_decoder_that_kills_its_worker_costs_one_file(library, monkeypatch) -> None:
    for index in range(4):
        make_jpeg(library.root / f"good{index}.jpg")
    make_jpeg(library.root / "poison.jpg")
    monkeypatch.setattr(scanner, "DESCRIBE", f"{__name__}:crash_on_poison_run")
    monkeypatch.setattr(scanner, "DESCRIBE_ONE", f"{__name__}:crash_on_poison")

    counts = library.scan(workers=2, parallel_from=1, chunk_files=10_000)  # one run of 5

    assert counts.new == 4 and counts.failed == 1
    assert set(library.rows()) == {f"good{index}.jpg" for index in range(4)}
    assert "worker crashed" in library.errors()["poison.jpg"]
