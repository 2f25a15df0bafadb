"""Choosing memories: leap days, weeks, ranking, stable ids."""

from __future__ import annotations

from datetime import date, datetime

from media_pipeline.memories.onthisday import MemorySettings, make_memories
from media_pipeline.memory import Candidate


def _photo(file_id: int, when: str, **kwargs) -> Candidate:
    return Candidate(file_id, datetime.fromisoformat(when), **kwargs)


def test_one_memory_per_earlier_year_most_recent_first() -> None:
    photos = [
        _photo(1, "2021-06-10T09:00"),
        _photo(2, "2021-06-10T18:00"),
        _photo(3, "2021-06-10T20:00"),
        _photo(4, "2018-06-10T12:00"),
        _photo(5, "2024-06-10T12:00"),  # this year: not a memory
        _photo(6, "2021-06-11T12:00"),  # the next day
    ]
    made = make_memories(date(2024, 6, 10), photos)
    assert [(m.title, m.kind, m.date, m.file_ids) for m in made] == [
        ("3 years ago", "day", date(2021, 6, 10), [1, 2, 3]),
        ("6 years ago", "day", date(2018, 6, 10), [4]),
    ]


def test_a_thin_day_widens_to_its_week() -> None:
    photos = [_photo(1, "2022-06-10T09:00"), _photo(2, "2022-06-08T09:00")]
    photos += [_photo(3, "2022-06-13T09:00"), _photo(4, "2022-06-14T09:00")]
    [memory] = make_memories(date(2024, 6, 10), photos)
    assert memory.kind == "week" and memory.title == "2 years ago this week"
    assert set(memory.file_ids) == {1, 2, 3}  # the 14th is four days away


def test_leap_days() -> None:
    photos = [
        _photo(1, "2020-02-29T10:00"),
        _photo(2, "2020-02-28T10:00"),
        _photo(3, "2019-02-28T10:00"),
    ]
    one_day = MemorySettings(min_photos=1)
    on_leap_day = make_memories(date(2024, 2, 29), photos, one_day)
    assert [(m.year, m.file_ids) for m in on_leap_day] == [(2020, [1]), (2019, [3])]
    # Without a leap day this year, 29 February's photos show on the 28th.
    on_the_28th = make_memories(date(2023, 2, 28), photos, one_day)
    assert [(m.year, sorted(m.file_ids)) for m in on_the_28th] == [(2020, [1, 2]), (2019, [3])]
    assert make_memories(date(2023, 3, 1), photos, MemorySettings(week_days=0)) == []


def test_best_photos_first_without_copies_and_screenshots() -> None:
    photos = [
        _photo(1, "2020-05-01T08:00", blurred=True, named_faces=2, faces=2),
        _photo(2, "2020-05-01T09:00"),
        _photo(3, "2020-05-01T10:00", faces=1),
        _photo(4, "2020-05-01T11:00", named_faces=1, faces=3),
        _photo(5, "2020-05-01T12:00", duplicate=True),
        _photo(6, "2020-05-01T13:00", screenshot=True),
    ]
    [memory] = make_memories(date(2023, 5, 1), photos, MemorySettings(max_photos=3))
    assert memory.file_ids == [4, 3, 2] and memory.cover == 4


def test_ids_are_stable_and_distinct() -> None:
    photos = [_photo(1, "2020-05-01T08:00"), _photo(2, "2019-05-01T08:00")]
    first = make_memories(date(2023, 5, 1), photos)
    again = make_memories(date(2023, 5, 1), [*photos, _photo(3, "2020-05-01T09:00")])
    assert [m.id for m in first] == [m.id for m in again] and len({m.id for m in first}) == 2
    assert {m.id for m in make_memories(date(2024, 5, 1), photos)}.isdisjoint(m.id for m in first)


def test_a_week_reaches_back_over_new_year() -> None:
    photos = [_photo(1, "2021-12-30T22:00"), _photo(2, "2022-01-02T10:00")]
    [memory] = make_memories(date(2024, 1, 1), photos)
    assert (memory.year, memory.kind, sorted(memory.file_ids)) == (2022, "week", [1, 2])
