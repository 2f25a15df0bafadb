"""Whole-run benchmark (on demand, not a test): python bench/whole_run.py --clip-model DIR
[--repeat N] [--against CHECKOUT]

What a user times, each command a new `media-pipeline` process on a new home: the full `run`
of a new 12-file library (the corpus' nature album, a HEIC and a WebP: scan, thumbnails,
CLIP, faces, OCR, albums...), then the same `run` with nothing to do, then a no-op
`run --select thumbnails`. ``--clip-model``: a local CLIP folder (a downloaded model, or a
small one); faces use dlib (`MEDIA_PIPELINE_FACE_BACKEND=dlib`). ``--against``: another
checkout of the project, run in turns with this one (interleaved rounds, since this machine
is shared), e.g. `git worktree add ../before HEAD~3`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from pathlib import Path

from cli_runs import REPO, home_env, timed_cli

IMMICH = REPO.parent / "shared" / "corpus" / "immich-test-assets"
EXTRA = ("formats/heic/IMG_2682.heic", "formats/webp/denali.webp", "metadata/faces/portrait.jpg")
RUNS = (
    ("new 12-file library, full run", ()),
    ("nothing to do, full run", ()),
    ("nothing to do, run --select thumbnails", ("--select", "thumbnails")),
)


def _library(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((IMMICH / "albums" / "nature").glob("*.jpg"))[:9]:
        shutil.copy2(path, folder)
    for name in EXTRA:
        shutil.copy2(IMMICH / name, folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip-model", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, run in turns")
    args = parser.parse_args()
    checkouts = {"this": REPO}
    if args.against:
        checkouts["other"] = args.against.resolve()
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-whole-run-") as scratch:
        library = _library(Path(scratch) / "library")
        for _ in range(max(args.repeat, 1)):
            for name, checkout in checkouts.items():
                home = Path(tempfile.mkdtemp(dir=scratch))
                env = home_env(home, checkout)
                env["MEDIA_PIPELINE_CLIP_MODEL"] = str(args.clip_model.resolve())
                env["MEDIA_PIPELINE_FACE_BACKEND"] = "dlib"
                timed_cli(env, "library", "add", "lib", str(library))
                for what, run_args in RUNS:
                    times.setdefault((what, name), []).append(timed_cli(env, "run", *run_args))
                shutil.rmtree(home)
    for (what, name), values in times.items():
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"{what:40} {name} ({checkouts[name]}): median {statistics.median(values):.2f} s "
              f"({shown})")  # fmt: skip


if __name__ == "__main__":
    main()
