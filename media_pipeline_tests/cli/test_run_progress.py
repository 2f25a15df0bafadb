"""What `media-pipeline run` prints while it works: each stage's files, to the end, and
nothing of the ML libraries' own (their progress bars and advice)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console

from media_pipeline.cli.progress import RunProgress
from media_pipeline.runtime.progress import ProgressReport
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.images import make_jpeg

STAGES = ("scan", "thumbnails", "clip", "faces")


def test_a_run_names_each_stage_with_its_files_to_the_end(mp, home: Path, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    for number in range(3):
        make_jpeg(root / f"{number}.jpg", size=(320, 240), color=(80 * number, 120, 40))
    mp("library", "add", "photos", str(root))

    process = run_cli("run")
    stdout, stderr = process.communicate(timeout=600)

    assert process.returncode == 0, stdout + stderr
    lines = re.findall(r"^  (\w+) (\d+)/(\d+) files", stdout, re.MULTILINE)
    for stage in STAGES:
        assert (stage, "3", "3") in lines, stdout  # each stage followed to its end
    assert "Loading weights" not in stdout + stderr and "it/s" not in stdout + stderr
    assert stderr == "", stderr
    # The display wrote past Dagster's capture of stdout: not into the runs' compute logs.
    logs = (home / "dagster" / "storage").glob("*/compute_logs/*.out")
    assert not [log for log in logs if " files" in log.read_text()]


def _report(task: str, done: int, total: int) -> ProgressReport:
    return ProgressReport(task, done, total, 1.0, None)


def test_without_a_terminal_each_stage_has_a_line_when_it_starts_and_ends() -> None:
    out = io.StringIO()
    with RunProgress(Console(file=out, width=100)) as progress:
        for report in (
            _report("clip", 0, 40),
            _report("faces", 0, 40),
            _report("clip", 20, 40),  # within half a minute of its first line: none
            _report("clip", 40, 40),
            _report("faces", 30, 40),  # stopped here: its last line comes at the end
        ):
            progress.show(report)
    assert out.getvalue().splitlines() == [
        "  clip 0/40 files",
        "  faces 0/40 files",
        "  clip 40/40 files, 1.0 files/s",
        "  faces 30/40 files, 1.0 files/s",
    ]


def test_in_a_terminal_the_bar_follows_the_current_stage() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True)
    with RunProgress(console) as progress:
        progress.show(_report("thumbnails", 5, 10))
        [task] = progress.bar.tasks
        assert (task.description, task.completed, task.total) == ("thumbnails", 5, 10)
        progress.show(_report("faces", 2, 8))
        assert (task.description, task.completed, task.total) == ("faces", 2, 8)
