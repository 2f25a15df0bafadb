from __future__ import annotations

from datetime import datetime, timedelta

from media_pipeline.metadata.capture_time import IPTC_CREATED, TimeCandidate
from media_pipeline.metadata.iptc import created, parse_iptc


def test_date_and_time_with_offset() -> None:
    assert created(b"20230402", b"183000+0200") == TimeCandidate(
        IPTC_CREATED, wall=datetime(2023, 4, 2, 18, 30), offset=timedelta(hours=2)
    )
    assert created(b"20230402", None) == TimeCandidate(IPTC_CREATED, wall=datetime(2023, 4, 2))


def test_impossible_dates_are_no_date() -> None:
    for day in (b"20231302", b"00000000", b"18000101", b"2023-04-02", b""):
        assert created(day, b"120000") is None


def test_caption_keywords_and_encodings() -> None:
    utf8 = parse_iptc({(1, 90): b"\x1b%G", (2, 120): "Köln".encode(), (2, 25): [b"a", b"b"]})
    assert (utf8.caption, utf8.keywords) == ("Köln", ["a", "b"])
    latin = parse_iptc({(2, 120): "Köln".encode("latin-1"), (2, 25): b"solo"})
    assert (latin.caption, latin.keywords) == ("Köln", ["solo"])
    assert parse_iptc(None).caption is None
