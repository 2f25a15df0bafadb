"""Read-only commands start without Dagster, the ML stack or Alembic (issue #12: ≤ 0.5 s),
and with --json without rich.

Checked by what a fresh `media-pipeline` process imported (`python -X importtime`), not by a
timing, which would depend on the load of the machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from media_pipeline_tests.images import make_jpeg

HEAVY = ("dagster", "torch", "transformers", "pandas", "numpy", "PIL", "alembic", "onnxruntime")
READ_ONLY = (
    ("library", "list"),
    ("info", "{photo}"),
    ("albums",),
    ("people",),
    ("errors",),
    ("duplicates",),
)


def imported(*args: str) -> set[str]:
    """The top-level packages `media-pipeline ARGS` imported; the command must succeed."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "media_pipeline", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in lines}


def test_read_only_commands_import_nothing_heavy(mp, tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "photos" / "a.jpg", gps=(48.137, 11.575))
    mp("library", "add", "photos", str(photo.parent))
    mp("run", "--select", "media_catalog")
    for command in READ_ONLY:
        for as_json in ((), ("--json",)):
            args = [part.format(photo=photo) for part in command] + list(as_json)
            heavy = set(HEAVY) & imported(*args)
            assert not heavy, f"`{' '.join(args)}` imported {sorted(heavy)}"
        json_only = imported(*[part.format(photo=photo) for part in command], "--json")
        assert "rich" not in json_only, f"{command} --json drew with rich"


def test_a_run_with_nothing_to_embed_loads_no_ml_stack(
    mp, clip_model: Path, tmp_path: Path
) -> None:
    """CLIP's plan names the model without torch (2-3 s of imports): only a batch with work
    loads it."""
    photo = make_jpeg(tmp_path / "photos" / "a.jpg")
    mp("library", "add", "photos", str(photo.parent))
    mp("run", "--select", "media_catalog,thumbnails,clip_embeddings")
    heavy = {"torch", "transformers"} & imported("run", "--select", "clip_embeddings")
    assert not heavy, f"a run with nothing to embed imported {sorted(heavy)}"
