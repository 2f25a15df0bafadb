"""Operator benchmark (on demand, not a test): python bench/operator_controls.py [--repeat N]
[--contents N] [--compare CHECKOUT]

1. Start-up of the read-only commands: median wall time of `python -m media_pipeline CMD` on
   an empty home, and whether Dagster or torch got imported (python -X importtime); with
   --compare, the same for another checkout (e.g. ../main), interleaved.
2. The integrity checks on a synthetic catalog of N contents (rows and derivative files on
   disk): the walk of thumbs/ against the rows, and the coverage query.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = [
    ["library", "list", "--json"],
    ["albums", "--json"],
    ["people", "--json"],
    ["errors", "--json"],
    ["duplicates", "--json"],
    ["info", "nothing.jpg"],
]


def _startup(checkout: Path, command: list[str], home: Path) -> tuple[float, bool, bool]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "MEDIA_PIPELINE_HOME": str(home)}
    env.pop("MEDIA_PIPELINE_DATABASE_URL", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "media_pipeline", *command],
        env=env,
        cwd=checkout,  # `python -m` puts the working directory first on sys.path
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return seconds, "dagster" in modules, "torch" in modules


def startup(repeat: int, compare: Path | None) -> None:
    checkouts = [REPO] + ([compare] if compare else [])
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        _startup(REPO, ["library", "list"], home)  # create and migrate the catalog once
        for command in COMMANDS:
            times: dict[Path, list[float]] = {checkout: [] for checkout in checkouts}
            imports: dict[Path, tuple[bool, bool]] = {}
            for _ in range(repeat):
                for checkout in checkouts:  # interleaved
                    seconds, dagster, torch = _startup(checkout, command, home)
                    times[checkout].append(seconds)
                    imports[checkout] = (dagster, torch)
            line = " ".join(command)
            for checkout in checkouts:
                dagster, torch = imports[checkout]
                median = statistics.median(times[checkout])
                print(
                    f"{line:24} {checkout.name:10} median {median:.2f} s"
                    f"  dagster {'yes' if dagster else 'no'}  torch {'yes' if torch else 'no'}"
                )


def checks(contents: int, repeat: int) -> None:
    os.environ["MEDIA_PIPELINE_HOME"] = tempfile.mkdtemp()
    from media_pipeline import settings
    from media_pipeline.catalog import integrity
    from media_pipeline.catalog.schema import media_files, thumbnails
    from media_pipeline.catalog.store import open_catalog
    from media_pipeline.catalog.thumbnails import STAGE, has_preview
    from media_pipeline.home import THUMBS
    from media_pipeline.thumbnails.storage import derivative_paths

    home = settings.media_home()
    store = open_catalog(settings.database_url())
    library = store.add_library("bench", str(home / "photos"))
    now = datetime.now()
    files, rows = [], []
    for index in range(contents):
        content_hash = f"{index * 2654435761 % 2**128:032x}"
        preview, thumb = derivative_paths(content_hash)
        for path in (preview, thumb):
            target = home / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        files.append(
            {
                "library_id": library.id,
                "rel_path": f"{index // 1000}/IMG_{index}.jpg",
                "dir": str(index // 1000),
                "size": 1,
                "mtime_ns": 1,
                "content_hash": content_hash,
                "status": "present",
                "first_seen": now,
                "updated_at": now,
                "metadata_version": 1,
                "kind": "image",
            }
        )
        rows.append(
            {
                "content_hash": content_hash,
                "settings": "bench",
                "preview_path": preview,
                "preview_width": 1,
                "preview_height": 1,
                "preview_bytes": 0,
                "thumbnail_path": thumb,
                "thumbnail_width": 1,
                "thumbnail_height": 1,
                "thumbnail_bytes": 0,
                "created_at": now,
            }
        )
    with store.engine.begin() as conn:
        conn.execute(media_files.insert(), files)
        conn.execute(thumbnails.insert(), rows)
    for name, measure in (
        ("derivative files vs rows", lambda: integrity.derivative_files(store, home, THUMBS)),
        ("preview coverage query", lambda: integrity.uncovered(store, STAGE, has_preview())),
    ):
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            measure()
            seconds.append(time.perf_counter() - started)
        print(f"{name:26} {contents:,} contents: median {statistics.median(seconds):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--contents", type=int, default=20_000)
    parser.add_argument("--compare", type=Path, help="another checkout to time the same way")
    args = parser.parse_args()
    startup(args.repeat, args.compare)
    checks(args.contents, args.repeat)


if __name__ == "__main__":
    main()
