from media_pipeline.jobs.progress import format_progress, parse_progress


def test_progress_lines_round_trip() -> None:
    line = format_progress("scan", 1200, 5000, 10.0)
    assert line == "scan progress: 1200/5000 files (24%), 120.0 files/s, ETA 0:00:32"
    report = parse_progress(line)
    assert (report.task, report.done, report.total, report.rate) == ("scan", 1200, 5000, 120.0)
    assert report.eta_seconds == 32.0
    assert parse_progress(format_progress("scan", 0, 10, 0.0)).eta_seconds is None
    assert parse_progress("scanning library photos at /x") is None


def test_a_stage_in_batches_reports_the_sum_of_its_batches() -> None:
    from media_pipeline.jobs.progress import combine_progress

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
