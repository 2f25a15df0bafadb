from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from media_pipeline.metadata.capture_time import (
    EXIF_CREATE,
    EXIF_ORIGINAL,
    FILENAME,
    GPS_TIME,
    MTIME,
    TimeCandidate,
    exif_candidate,
    filename_candidate,
    gps_candidate,
    iso_candidate,
    mtime_candidate,
    parse_datetime,
    parse_offset,
    parse_subsec,
    resolve,
    zone_for_offset,
)

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019:03:21 11:04:22", (datetime(2019, 3, 21, 11, 4, 22), None)),
        ("2007:12:06 14:33:18\x00", (datetime(2007, 12, 6, 14, 33, 18), None)),
        (b"2007:12:06 14:33:18", (datetime(2007, 12, 6, 14, 33, 18), None)),
        ("2023-01-02T15:30:45+01:00", (datetime(2023, 1, 2, 15, 30, 45), H)),
        ("2023-01-02T15:30:45Z", (datetime(2023, 1, 2, 15, 30, 45), timedelta(0))),
        ("2023-01-02T15:30:45.123456789-0800", (datetime(2023, 1, 2, 15, 30, 45, 123456), -8 * H)),
        ("2022-01-10T15:15:44.31", (datetime(2022, 1, 10, 15, 15, 44, 310000), None)),
        ("2023-01-02T15:30", (datetime(2023, 1, 2, 15, 30), None)),
        ("2023-01-02", (datetime(2023, 1, 2), None)),
        ("0000:00:00 00:00:00", None),
        ("    :  :     :  :  ", None),
        ("", None),
        (None, None),
        (12345, None),
        ("2023:02:30 10:00:00", None),
        ("2023:01:02 25:00:00", None),
        ("1850:01:01 00:00:00", None),
        ("2150:01:01 00:00:00", None),
        ("2023", None),
        ("yesterday", None),
    ],
)
def test_parse_datetime(value, expected) -> None:
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+01:00", H),
        ("-08:00", -8 * H),
        ("+0530", timedelta(hours=5, minutes=30)),
        ("-03", -3 * H),
        ("Z", timedelta(0)),
        ("+00:00\x00", timedelta(0)),
        ("+15:00", None),
        ("   :  ", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_offset(value, expected) -> None:
    assert parse_offset(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("348", 348000), ("18", 180000), ("023460", 23460), ("1234567", 123456), ("", None)],
)
def test_parse_subsec(value, expected) -> None:
    assert parse_subsec(value) == expected
    assert parse_subsec("ab") is None


@pytest.mark.parametrize(
    ("offset", "zone"),
    [
        (None, None),
        (timedelta(0), "UTC"),
        (H, "Etc/GMT-1"),
        (-8 * H, "Etc/GMT+8"),
        (14 * H, "Etc/GMT-14"),
        (-12 * H, "Etc/GMT+12"),
        (timedelta(hours=5, minutes=30), None),
        (timedelta(hours=-3, minutes=-30), None),
    ],
)
def test_zone_for_offset(offset, zone) -> None:
    assert zone_for_offset(offset) == zone


def test_exif_candidate_combines_subsec_and_offset() -> None:
    candidate = exif_candidate(EXIF_ORIGINAL, "2024:01:12 21:38:53", "853", "-08:00")
    assert candidate == TimeCandidate(
        EXIF_ORIGINAL, wall=datetime(2024, 1, 12, 21, 38, 53, 853000), offset=-8 * H
    )
    zero = exif_candidate(EXIF_CREATE, "2024:01:12 21:38:53", None, "+00:00")
    assert zero is not None and zero.offset == timedelta(0)
    assert exif_candidate(EXIF_ORIGINAL, "0000:00:00 00:00:00", "12", "+01:00") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_20230102_153045.jpg", datetime(2023, 1, 2, 15, 30, 45)),
        ("VID_20230102_153045.mp4", datetime(2023, 1, 2, 15, 30, 45)),
        ("PXL_20230102_153045123.jpg", datetime(2023, 1, 2, 15, 30, 45, 123000)),
        ("PXL_20230102_153045123.MP.jpg", datetime(2023, 1, 2, 15, 30, 45, 123000)),
        ("20230102_153045.jpg", datetime(2023, 1, 2, 15, 30, 45)),
        ("IMG_20230102_153045_HDR.jpg", datetime(2023, 1, 2, 15, 30, 45)),
        ("Screenshot_2023-01-02-15-30-45.png", datetime(2023, 1, 2, 15, 30, 45)),
        ("Screenshot_2023-01-02-15-30-45-123_com.app.png", datetime(2023, 1, 2, 15, 30, 45)),
        ("Screenshot 2023-01-02 at 15.30.45.png", datetime(2023, 1, 2, 15, 30, 45)),
        ("2023-01-02 15.30.45.jpg", datetime(2023, 1, 2, 15, 30, 45)),
        ("IMG-20230102-WA0001.jpg", datetime(2023, 1, 2)),
        ("VID-20230102-WA0007.mp4", datetime(2023, 1, 2)),
        ("photos/2019/IMG_20230102_153045.jpg", datetime(2023, 1, 2, 15, 30, 45)),
        ("IMG_20231301_153045.jpg", None),  # month 13
        ("IMG_20230230_153045.jpg", None),  # 30 February
        ("IMG_20230102_253045.jpg", None),  # hour 25
        ("IMG_18990102_153045.jpg", None),
        ("IMG_0001.jpg", None),
        ("DSC_1234.NEF", None),
        ("20230102_153045/IMG_0001.jpg", None),  # folders do not count
        ("12320230102_1530451.jpg", None),  # digits run on both sides
    ],
)
def test_filename_candidate(name: str, expected: datetime | None) -> None:
    candidate = filename_candidate(name)
    if expected is None:
        assert candidate is None
    else:
        assert candidate == TimeCandidate(FILENAME, wall=expected)


def test_gps_candidate() -> None:
    candidate = gps_candidate("2019:03:21", (16.0, 4.0, 21.01))
    assert candidate == TimeCandidate(GPS_TIME, instant=datetime(2019, 3, 21, 16, 4, 21, 10000))
    assert gps_candidate("2019:03:21", (float("nan"), 4.0, 21.0)) is None
    assert gps_candidate("2019:03:21", (24.0, 0.0, 0.0)) is None
    assert gps_candidate("0000:00:00", (1.0, 2.0, 3.0)) is None
    assert gps_candidate(None, (1.0, 2.0, 3.0)) is None
    assert gps_candidate("2019:03:21", None) is None


@pytest.mark.parametrize("mtime", [None, float("nan"), float("inf"), 1e20, -1e13])
def test_mtime_candidate_rejects_nonsense(mtime) -> None:
    assert mtime_candidate(mtime) is None


def test_mtime_candidate_is_an_instant() -> None:
    candidate = mtime_candidate(1_700_000_000.5)
    assert candidate == TimeCandidate(MTIME, instant=datetime(2023, 11, 14, 22, 13, 20, 500000))


def test_resolve_takes_the_first_candidate_present() -> None:
    later = TimeCandidate(FILENAME, wall=datetime(2020, 1, 1))
    first = TimeCandidate(EXIF_ORIGINAL, wall=datetime(2019, 1, 1))
    assert resolve([None, first, later], None).source == EXIF_ORIGINAL
    assert resolve([None, None], None).source is None
    assert resolve([], "Europe/Paris").taken_at is None


def test_resolve_wall_time_with_gps_zone_localizes_with_dst() -> None:
    summer = TimeCandidate(EXIF_ORIGINAL, wall=datetime(2019, 3, 21, 11, 4, 22))
    resolved = resolve([summer], "America/Chicago")
    assert resolved.time_zone == "America/Chicago"
    assert resolved.taken_at == datetime(2019, 3, 21, 11, 4, 22)
    assert resolved.taken_at_utc == datetime(2019, 3, 21, 16, 4, 22)  # CDT, UTC-5
    winter = TimeCandidate(EXIF_ORIGINAL, wall=datetime(2019, 1, 21, 11, 4, 22))
    assert resolve([winter], "America/Chicago").taken_at_utc == datetime(2019, 1, 21, 17, 4, 22)


def test_resolve_offset_wins_for_utc_and_names_whole_hour_zones() -> None:
    candidate = TimeCandidate(EXIF_ORIGINAL, wall=datetime(2024, 1, 12, 21, 38, 53), offset=-8 * H)
    resolved = resolve([candidate], None)
    assert resolved.time_zone == "Etc/GMT+8"
    assert resolved.taken_at_utc == datetime(2024, 1, 13, 5, 38, 53)
    # with GPS the zone is the IANA one, the UTC time still comes from the offset
    with_gps = resolve([candidate], "America/Los_Angeles")
    assert with_gps.time_zone == "America/Los_Angeles"
    assert with_gps.taken_at_utc == datetime(2024, 1, 13, 5, 38, 53)


def test_resolve_half_hour_offset_has_utc_but_no_zone() -> None:
    candidate = TimeCandidate(
        EXIF_ORIGINAL, wall=datetime(2023, 1, 2, 15, 30), offset=timedelta(hours=5, minutes=30)
    )
    resolved = resolve([candidate], None)
    assert resolved.time_zone is None
    assert resolved.taken_at_utc == datetime(2023, 1, 2, 10, 0)


def test_resolve_wall_time_without_zone_has_no_utc() -> None:
    resolved = resolve([TimeCandidate(FILENAME, wall=datetime(2023, 1, 2, 15, 30))], None)
    assert resolved == resolved.__class__(datetime(2023, 1, 2, 15, 30), None, None, FILENAME)


def test_resolve_instant_in_gps_zone() -> None:
    candidate = TimeCandidate(GPS_TIME, instant=datetime(2022, 1, 10, 21, 15, 33))
    resolved = resolve([candidate], "America/Denver")
    assert resolved.taken_at == datetime(2022, 1, 10, 14, 15, 33)  # MST, UTC-7
    assert resolved.taken_at_utc == datetime(2022, 1, 10, 21, 15, 33)
    assert resolved.time_zone == "America/Denver"


def test_resolve_instant_without_zone_uses_machine_local_time() -> None:
    instant = datetime(2023, 11, 14, 22, 13, 20)
    resolved = resolve([TimeCandidate(MTIME, instant=instant)], None)
    expected_local = instant.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)
    assert resolved == resolved.__class__(expected_local, None, instant, MTIME)


def test_resolve_instant_with_recorded_offset() -> None:
    candidate = TimeCandidate("video:creation_time", offset=H, instant=datetime(2023, 1, 2, 14))
    resolved = resolve([candidate], None)
    assert (resolved.taken_at, resolved.time_zone) == (datetime(2023, 1, 2, 15), "Etc/GMT-1")


def test_resolve_ignores_unknown_zone_names() -> None:
    candidate = TimeCandidate(EXIF_ORIGINAL, wall=datetime(2023, 1, 2, 15, 30))
    resolved = resolve([candidate], "Mars/Olympus_Mons")
    assert resolved.time_zone is None and resolved.taken_at_utc is None


def test_iso_candidate() -> None:
    candidate = iso_candidate("xmp:CreateDate", "2023-01-02T15:30:45+01:00")
    assert candidate == TimeCandidate(
        "xmp:CreateDate", wall=datetime(2023, 1, 2, 15, 30, 45), offset=H
    )
    assert iso_candidate("xmp:CreateDate", "garbage") is None
