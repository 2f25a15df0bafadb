"""Stable album ids across re-runs: events are matched to last run's albums by shared files.

Events are recomputed from scratch every run, so an album's id has to be rediscovered: what
users attach to an album (a custom title, a cover, a share link) must survive a re-run that only
added photos to it.

Matching: an old album and a new event are a candidate pair when they share files and those
shared files are at least half of the old album *or* at least half of the new event (so an album
that grew, shrank, split or merged still matches, while one leftover photo of a deleted album
does not hand its id to an unrelated event). Pairs are taken greedily, largest overlap first, each
id and each event at most once: when an album split, its largest part keeps the id; when albums
merged, the one sharing most files (then the smaller id) passes its id on.

New ids are deterministic: a hash of the event's smallest file id and its start time. Catalog
file ids are stable (a moved file keeps its id), so rebuilding the albums from nothing, or a test,
gives the same ids again, which random uuid4s would not. An id that last run used, or that
another event already got, is never handed out again: the hash is salted until it is fresh.
"""

from __future__ import annotations

import hashlib

from media_pipeline.albums.events import sort_time
from media_pipeline.photo import Photo

_ID_HEX_DIGITS = 16  # 64 bits: collisions are handled anyway, this only keeps them rare


def assign_album_ids(
    events: list[list[Photo]], previous: dict[str, set[int]]
) -> dict[str, list[Photo]]:
    """Album id -> event, in the events' order; see the module docstring for the rules.

    `previous` maps last run's album ids to their file ids (an empty mapping on the first run).
    No two events get the same id, and an id of `previous` is only reused for its own album.
    """
    if any(not event for event in events):
        raise ValueError("an event must hold at least one photo")
    files = [{photo.file_id for photo in event} for event in events]
    owners: dict[int, list[str]] = {}
    for album_id, album_files in previous.items():
        for file_id in album_files:
            owners.setdefault(file_id, []).append(album_id)

    candidates: list[tuple[int, str, int]] = []  # (overlap, old id, event index)
    for index, event_files in enumerate(files):
        shared: dict[str, int] = {}
        for file_id in event_files:
            for album_id in owners.get(file_id, ()):
                shared[album_id] = shared.get(album_id, 0) + 1
        for album_id, overlap in shared.items():
            if 2 * overlap >= len(previous[album_id]) or 2 * overlap >= len(event_files):
                candidates.append((overlap, album_id, index))
    candidates.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))

    ids: dict[int, str] = {}
    taken: set[str] = set()
    for _, album_id, index in candidates:
        if index not in ids and album_id not in taken:
            ids[index] = album_id
            taken.add(album_id)

    used = set(previous) | taken
    for index, event in enumerate(events):
        if index not in ids:
            ids[index] = _new_id(event, used)
            used.add(ids[index])
    return {ids[index]: event for index, event in enumerate(events)}


def _new_id(event: list[Photo], used: set[str]) -> str:
    first = min(photo.file_id for photo in event)
    start = min((when for photo in event if (when := sort_time(photo)) is not None), default=None)
    seed = f"{first}|{start.isoformat() if start else ''}"
    salt = 0
    while True:
        text = seed if salt == 0 else f"{seed}|{salt}"
        album_id = hashlib.sha256(text.encode()).hexdigest()[:_ID_HEX_DIGITS]
        if album_id not in used:
            return album_id
        salt += 1
