from media_pipeline.jobs.progress import format_progress, parse_progress


def test_progress_lines_round_trip() -> None:
    line = format_progress("scan", 1200, 5000, 10.0)
    assert line == "scan progress: 1200/5000 files (24%), 120.0 files/s, ETA 0:00:32"
    report = parse_progress(line)
    assert (report.task, report.done, report.total, report.rate) == ("scan", 1200, 5000, 120.0)
    assert report.eta_seconds == 32.0
    assert parse_progress(format_progress("scan", 0, 10, 0.0)).eta_seconds is None
    assert parse_progress("scanning library photos at /x") is None
