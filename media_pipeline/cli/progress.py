"""What `media-pipeline run` shows while a run works: the current stage and its files.

In a terminal a live bar follows the run stage by stage (scan, thumbnails, clip, faces, …);
elsewhere (a pipe, a log file, a test) the bar cannot redraw, so each stage gets a line when
it starts, every half minute while it works, and when it ends.

While a run executes in this process Dagster points file descriptors 1 and 2 at the run's
compute log (and `tail -F`s it back): a bar drawn there is no longer on a terminal and stops
redrawing (it stayed at "scan 0/0" while faces ran) and its frames fill the log the UI shows.
So the display writes to its own copy of the descriptor, taken before the run starts.
"""

from __future__ import annotations

import io
import os
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from media_pipeline.cli.output import LazyConsole
from media_pipeline.runtime.progress import ProgressReport

LINE_EVERY = 30.0  # seconds between two lines of one stage when not in a terminal


def stage_line(report: ProgressReport) -> str:
    rate = f", {report.rate:.1f} files/s" if report.done else ""
    return f"  {report.task} {report.done}/{report.total} files{rate}"


class RunProgress:
    """Fed with each stage's combined report (runtime.runs.watch_run), from the watcher thread."""

    def __init__(self, console: Console | LazyConsole) -> None:
        console = console.real if isinstance(console, LazyConsole) else console
        self.copy = _copy_of(console)
        self.console = console if self.copy is None else Console(file=self.copy)
        self.bar: Progress | None = None
        self.lock = threading.Lock()
        self.newest: dict[str, ProgressReport] = {}  # stage → its newest report
        self.printed: dict[str, tuple[ProgressReport, float]] = {}  # stage → line, when

    def __enter__(self) -> RunProgress:
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
                redirect_stdout=False,  # what steps print stays in their compute log
                redirect_stderr=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("starting", total=None, rate="")
        return self

    def show(self, report: ProgressReport) -> None:
        with self.lock:
            self.newest[report.task] = report
            if self.bar is not None:
                self.bar.update(
                    self.task,
                    description=report.task,
                    completed=report.done,
                    total=report.total,
                    rate=f"{report.rate:.1f} files/s",
                )
                return
            last = self.printed.get(report.task)
            finished = report.done >= report.total
            if last is None or (finished and last[0] != report) or _due(last[1]):
                self._print(report)

    def _print(self, report: ProgressReport) -> None:
        self.console.print(stage_line(report), markup=False, highlight=False)
        self.printed[report.task] = (report, time.monotonic())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.stop()
            else:
                for task, report in self.newest.items():  # where each stage ended (or stopped)
                    if self.printed[task][0] != report:
                        self._print(report)
            if self.copy is not None:
                self.copy.close()


def _copy_of(console: Console) -> io.TextIOWrapper | None:
    """A file on a duplicate of the console's descriptor; None where it has none (a test's
    in-memory stdout), and the console is used as it is."""
    try:
        descriptor = console.file.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    console.file.flush()
    return os.fdopen(os.dup(descriptor), "w", buffering=1, encoding="utf-8")


def _due(printed_at: float) -> bool:
    return time.monotonic() - printed_at >= LINE_EVERY
