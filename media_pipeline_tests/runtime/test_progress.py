import time
from types import SimpleNamespace

from dagster import DagsterRunStatus
from sqlalchemy.exc import OperationalError

from media_pipeline.runtime.progress import format_progress, parse_progress
from media_pipeline.runtime.runs import watch_run


def test_progress_lines_round_trip() -> None:
    line = format_progress("scan", 1200, 5000, 10.0)
    assert line == "scan progress: 1200/5000 files (24%), 120.0 files/s, ETA 0:00:32"
    report = parse_progress(line)
    assert (report.task, report.done, report.total, report.rate) == ("scan", 1200, 5000, 120.0)
    assert report.eta_seconds == 32.0
    assert parse_progress(format_progress("scan", 0, 10, 0.0)).eta_seconds is None
    assert parse_progress("scanning library photos at /x") is None


def test_a_stage_in_batches_reports_the_sum_of_its_batches() -> None:
    from media_pipeline.runtime.progress import combine_progress

    newest = {
        "thumbnails.thumbnails_plan": parse_progress(format_progress("thumbnails", 0, 500, 0.0)),
        "thumbnails.thumbnails_batch[b0000]": parse_progress(
            format_progress("thumbnails", 100, 100, 10.0)
        ),
        "thumbnails.thumbnails_batch[b0001]": parse_progress(
            format_progress("thumbnails", 40, 100, 4.0)
        ),
        "thumbnails.thumbnails_batch[b0002]": parse_progress(
            format_progress("thumbnails", 30, 100, 3.0)
        ),
    }
    report = combine_progress(newest)
    # 170 of the plan's 500 done; the two working batches run at 10 files/s each.
    assert (report.task, report.done, report.total, report.rate) == ("thumbnails", 170, 500, 20.0)
    assert report.eta_seconds == 16.0  # (500 - 170) / 20, rounded
    assert combine_progress({}) is None


def _record(step: str, message: str) -> SimpleNamespace:
    return SimpleNamespace(event_log_entry=SimpleNamespace(step_key=step, user_message=message))


class _FlakyInstance:
    """A run's storage that is busy on the first read, then holds two stages' lines."""

    def __init__(self) -> None:
        self.reads = 0

    def get_run_by_id(self, run_id: str) -> SimpleNamespace:
        return SimpleNamespace(status=DagsterRunStatus.STARTED)

    def get_records_for_run(self, run_id: str, cursor: str | None = None) -> SimpleNamespace:
        self.reads += 1
        if self.reads == 1:
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        lines = [
            _record("clip_plan", format_progress("clip", 0, 40, 0.0)),
            _record("faces_plan", format_progress("faces", 0, 40, 0.0)),
            _record("clip_batch[b0000]", format_progress("clip", 20, 20, 2.0)),
            _record("faces_batch[b0000]", format_progress("faces", 5, 20, 1.0)),
        ]
        return SimpleNamespace(cursor=str(self.reads), records=lines if self.reads == 2 else [])


def test_the_watcher_survives_a_busy_storage_and_keeps_each_stages_total() -> None:
    """Once an error in the watcher thread froze the display ("scan 0/0" while faces ran);
    and a stage's plan total was dropped when another stage's line came in between."""
    seen = []
    with watch_run(_FlakyInstance(), "run", on_progress=seen.append, interval=0.01):
        deadline = time.monotonic() + 5
        while len(seen) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [(r.task, r.done, r.total) for r in seen] == [
        ("clip", 0, 40),
        ("faces", 0, 40),
        ("clip", 20, 40),
        ("faces", 5, 40),
    ]
