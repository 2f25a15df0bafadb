"""Runs at library scale (on demand, not a test): python bench/scale_runs.py --clip-model DIR
[--files N] [--repeat N] [--dir DIR] [--against CHECKOUT]

What a user of a 100,000-photo library waits for, each command a new `media-pipeline` process
on the embedded default: a full `run` with nothing to do, a no-op `run --select thumbnails`,
and the full `run` after 50 new photos, next to the same commands on a 12-file library.

Rendering, embedding and reading 100,000 photos would take hours, so the big library is made
the way a finished run leaves it: N small JPEGs (bench/scan.py's) are scanned for real, then
every stage's rows (previews, embeddings, face scans, text) are copied from a real run over
the 12-file library onto each of the N contents, each with a vector of its own, and the
photos get capture dates spread over the years (albums, memories). One full run then builds
what spans the collection (index, albums, duplicates) before any clock starts. The rows are
written with sqlite3: this benchmark measures the embedded default.

``--against``: another checkout runs the same commands, in turns with this one, on homes of
its own that its own code made from the same library folders (an older checkout cannot open
a catalog a newer one migrated), e.g. `git worktree add ../before HEAD~5`. Both index the same
folders, so each turn starts with an untimed full run that takes in the photos the other
checkout added: the runs timed then have nothing to do, and then exactly 50 new photos.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from cli_runs import REPO, home_env, timed_cli
from scan import build_library
from whole_run import _library

STAGE_TABLES = ("thumbnails", "clip_embeddings", "face_scans", "photo_text")
NEW_PHOTOS = 50
RUNS = (
    ("nothing to do, full run", ()),
    ("nothing to do, run --select thumbnails", ("--select", "thumbnails")),
)


def _spread(catalog: sqlite3.Connection, templates: sqlite3.Connection, rng: random.Random):
    """Every present content gets the stage rows of a template content, a vector of its own,
    and a capture date: bursts of 40 photos a day or three apart, from 2015 on."""
    hashes = [h for (h,) in catalog.execute("SELECT content_hash FROM media_files")]
    for table in STAGE_TABLES:
        columns = [row[1] for row in templates.execute(f"PRAGMA table_info({table})")]
        rows = templates.execute(f"SELECT * FROM {table}").fetchall()
        at = columns.index("content_hash")
        copies = []
        for index, content_hash in enumerate(hashes):
            row = list(rows[index % len(rows)])
            row[at] = content_hash
            if table == "clip_embeddings":
                dim = row[columns.index("dim")]
                vector = np.random.default_rng(index).standard_normal(dim).astype(np.float32)
                row[columns.index("vector")] = (vector / np.linalg.norm(vector)).tobytes()
            copies.append(row)
        marks = ", ".join("?" * len(columns))
        catalog.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", copies)
    day, dates = 0, []
    for index, (file_id,) in enumerate(catalog.execute("SELECT id FROM media_files").fetchall()):
        day += rng.randint(1, 3) if index % 40 == 0 else 0
        taken = datetime(2015, 1, 1) + timedelta(days=day, seconds=rng.randint(32400, 64800))
        dates.append((taken, taken, file_id))
    catalog.executemany(
        "UPDATE media_files SET taken_at = ?, taken_at_utc = ?, "
        "taken_at_source = 'exif:DateTimeOriginal' WHERE id = ?",
        dates,
    )
    catalog.commit()


def _homes(
    scratch: Path, files: int, clip_model: Path, checkout: Path = REPO, tag: str = ""
) -> dict[str, dict[str, str]]:
    """The 12-file library's home after its full run, and the N-file one made from it, each
    made by ``checkout``'s code (its catalog schema); the library folders are made once."""
    small_home, big_home = scratch / f"home-12{tag}", scratch / f"home-{files}{tag}"
    small = home_env(small_home, checkout)
    big = home_env(big_home, checkout)
    for env in (small, big):
        env["MEDIA_PIPELINE_CLIP_MODEL"] = str(clip_model.resolve())
        env["MEDIA_PIPELINE_FACE_BACKEND"] = "dlib"
        shutil.copyfile(checkout / "dagster.yaml", Path(env["DAGSTER_HOME"]) / "dagster.yaml")
    small_library = scratch / "library-12"
    if not small_library.exists():
        _library(small_library)
    timed_cli(small, "library", "add", "lib", str(small_library))
    timed_cli(small, "run")
    big_library = scratch / f"library-{files}"
    if not big_library.exists():
        build_library(big_library, files, 0)
    timed_cli(big, "library", "add", "lib", str(big_library / "small"))
    timed_cli(big, "run", "--select", "media_catalog")
    shutil.copytree(small_home / "thumbs", big_home / "thumbs", dirs_exist_ok=True)
    with (
        sqlite3.connect(big_home / "catalog.db") as catalog,
        sqlite3.connect(small_home / "catalog.db") as templates,
    ):
        _spread(catalog, templates, random.Random(1))
    for env in (small, big):
        timed_cli(env, "run")  # the index, albums and duplicates of what is there
    return {"12 files": small, f"{files} files": big}


def _add_photos(folder: Path, count: int, tag: str) -> None:
    """``count`` new small JPEGs in a new folder of the library, contents no earlier round
    made (the comment differs): each is scanned, rendered, embedded, read, grouped."""
    from PIL import Image

    target = folder / f"new-{tag}"
    target.mkdir(parents=True)
    for index in range(count):
        colour = (index * 5 % 256, 120, 200 - index % 100)
        image = Image.new("RGB", (64, 48), colour)
        image.save(target / f"NEW_{index:03}.jpg", quality=85, comment=f"{tag} {index}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip-model", type=Path, required=True)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--against", type=Path, help="another checkout, run in turns")
    args = parser.parse_args()
    scratch = args.dir or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    checkouts = {"this": REPO, **({"other": args.against.resolve()} if args.against else {})}
    # Each checkout on homes of its own, made by its own code from the same folders: an
    # older checkout cannot open a catalog a newer one migrated.
    homes = {
        label: _homes(scratch, args.files, args.clip_model, checkout, f"-{label}")
        for label, checkout in checkouts.items()
    }
    roots = {
        "12 files": scratch / "library-12",
        f"{args.files} files": scratch / f"library-{args.files}" / "small",
    }
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.repeat):
        for name in roots:  # in turns: load on a shared machine hits all
            for label in checkouts:
                env = homes[label][name]
                key = f"{name}, {label}" if args.against else name
                if args.against:  # untimed: takes in the photos the other checkout added
                    timed_cli(env, "run")
                for what, run_args in RUNS:
                    times.setdefault((what, key), []).append(timed_cli(env, "run", *run_args))
                _add_photos(roots[name], NEW_PHOTOS, f"{round_}-{label}")
                what = f"{NEW_PHOTOS} new photos, full run"
                times.setdefault((what, key), []).append(timed_cli(env, "run"))
    print(f"medians of {args.repeat} (scratch: {scratch}):")
    for (what, name), values in sorted(times.items()):
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {what:40} {name:>20}: {statistics.median(values):6.2f} s ({shown})")


if __name__ == "__main__":
    main()
