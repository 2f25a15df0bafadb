"""The collector is off while a command loads Dagster, and on (start-up frozen) for the run."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from media_pipeline.runtime.heap import pause_collector, settle_heap


def test_settling_freezes_start_up_and_turns_the_collector_back_on() -> None:
    assert gc.isenabled()
    try:
        pause_collector()
        assert not gc.isenabled()
        settle_heap()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        settle_heap()  # once only: a second call (the next job of a run) changes nothing
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_cli_run_collects_again_once_loaded(mp, home: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    mp("library", "add", "empty", str(tmp_path / "empty"))
    probe = (
        "import atexit, gc, sys\n"
        "from media_pipeline.cli.main import main\n"
        "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0))\n"
        "sys.argv = ['media-pipeline', 'run', '--select', 'thumbnails']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip().splitlines()[-1] == "collector True True", done.stdout
