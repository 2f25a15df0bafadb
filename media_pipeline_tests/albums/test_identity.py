"""Album ids stay with their albums across re-runs: grown, shrunk, split, merged or new."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from media_pipeline.albums.identity import assign_album_ids
from media_pipeline.photo import Photo
from media_pipeline_tests.albums.library import make_photo


def event(*file_ids: int, day: int = 1) -> list[Photo]:
    start = datetime(2023, 1, day, 12, 0)
    return [
        make_photo(file_id, start + i * timedelta(minutes=5), "Munich")
        for i, file_id in enumerate(sorted(file_ids))
    ]


def as_sets(albums: dict[str, list[Photo]]) -> dict[str, set[int]]:
    return {album_id: {photo.file_id for photo in photos} for album_id, photos in albums.items()}


def test_first_run_gives_distinct_deterministic_ids() -> None:
    events = [event(1, 2, 3, day=1), event(4, 5, 6, day=5), event(7, 8, 9, day=9)]
    first = assign_album_ids(events, {})
    assert len(first) == 3
    assert list(first.values()) == events  # in the events' order
    assert all(len(album_id) == 16 and int(album_id, 16) >= 0 for album_id in first)
    assert assign_album_ids(events, {}) == first  # rebuilt from nothing: same ids


def test_rerun_without_changes_keeps_every_id() -> None:
    events = [event(1, 2, 3, day=1), event(4, 5, 6, day=5)]
    previous = as_sets(assign_album_ids(events, {}))
    assert as_sets(assign_album_ids(events, previous)) == previous


def test_an_album_that_grew_keeps_its_id() -> None:
    previous = {"trip": {1, 2, 3}}
    albums = assign_album_ids([event(1, 2, 3, 10, 11, 12, 13)], previous)
    assert as_sets(albums) == {"trip": {1, 2, 3, 10, 11, 12, 13}}


def test_an_album_that_shrank_keeps_its_id() -> None:
    previous = {"trip": set(range(1, 11))}
    assert list(assign_album_ids([event(1, 2, 3)], previous)) == ["trip"]


def test_a_split_album_keeps_its_id_on_the_largest_part() -> None:
    previous = {"trip": set(range(1, 11))}
    albums = assign_album_ids([event(1, 2, 3, day=1), event(4, 5, 6, 7, 8, 9, 10, day=3)], previous)
    assert as_sets(albums)["trip"] == {4, 5, 6, 7, 8, 9, 10}
    (other,) = set(albums) - {"trip"}
    assert as_sets(albums)[other] == {1, 2, 3}


def test_a_three_way_split_still_hands_the_id_on() -> None:
    previous = {"trip": set(range(1, 11))}
    events = [event(1, 2, 3, day=1), event(4, 5, 6, 7, day=3), event(8, 9, 10, day=5)]
    assert as_sets(assign_album_ids(events, previous))["trip"] == {4, 5, 6, 7}


def test_merged_albums_keep_one_id_and_retire_the_other() -> None:
    previous = {"a": {1, 2, 3}, "b": {4, 5, 6, 7}}
    albums = assign_album_ids([event(1, 2, 3, 4, 5, 6, 7)], previous)
    assert list(albums) == ["b"]  # the one sharing most files
    tie = assign_album_ids([event(1, 2, 3, 4, 5, 6)], {"b": {4, 5, 6}, "a": {1, 2, 3}})
    assert list(tie) == ["a"]  # equal overlaps: the smaller id, whatever the dict order


def test_a_retired_id_is_not_reused() -> None:
    previous = {"a": {1, 2, 3}, "b": {4, 5, 6}}
    # a and b merged (a keeps its id), and a new event appears: it must not get "b"
    albums = assign_album_ids([event(1, 2, 3, 4, 5, 6, day=1), event(7, 8, 9, day=9)], previous)
    assert list(albums)[0:1] == ["a"]
    assert "b" not in albums


def test_a_leftover_photo_of_a_deleted_album_does_not_pass_its_id_on() -> None:
    previous = {"old": set(range(1, 11))}
    albums = assign_album_ids([event(1, *range(100, 110))], previous)
    assert "old" not in albums


def test_new_events_beside_old_albums_get_new_ids() -> None:
    previous = {"old": {1, 2, 3}}
    albums = assign_album_ids([event(1, 2, 3, day=1), event(20, 21, 22, day=9)], previous)
    first, second = albums
    assert first == "old" and second != "old"


def test_a_new_id_never_collides_with_an_id_of_last_run() -> None:
    new = event(20, 21, 22)
    (natural,) = assign_album_ids([new], {})
    # last run used that id for unrelated files: the new event must get another one
    (salted,) = assign_album_ids([new], {natural: {999}})
    assert salted != natural
    assert assign_album_ids([new], {natural: {999}}) == {salted: new}


def test_no_two_events_share_an_id() -> None:
    events = [event(10 * day + 1, 10 * day + 2, 10 * day + 3, day=day) for day in range(1, 29)]
    previous = {f"album-{i}": {10 * i + 1} for i in range(1, 29, 2)}  # every other one
    albums = assign_album_ids(events, previous)
    assert len(albums) == len(events)
    assert sorted(map(len, albums.values())) == [3] * len(events)


def test_an_empty_event_is_refused() -> None:
    with pytest.raises(ValueError):
        assign_album_ids([[]], {})
