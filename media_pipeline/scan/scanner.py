"""The incremental scan of one library: find new, changed, moved and missing files.

Two passes keep memory flat. Pass 1 walks one folder at a time, compares (size, mtime) with the
catalog's rows for that folder, marks vanished files missing and spills the files that need
work to a temporary file. Pass 2 hashes and describes those files and commits them in batches,
so a cancelled or crashed run keeps every committed batch and the next run resumes from there
(what was committed compares unchanged in pass 1).

Moves are found by content: a new path whose hash matches a catalogued file whose old path no
longer exists takes over that row, keeping its id and everything derived from it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from media_pipeline.catalog.face_regions import import_face_regions
from media_pipeline.catalog.live import link_live_photos, save_motion_video
from media_pipeline.catalog.store import Catalog, FileFailure, FileVersion, Library
from media_pipeline.metadata.errors import read_failure
from media_pipeline.metadata.extract import MediaError, extract_metadata
from media_pipeline.metadata.formats import classify
from media_pipeline.scan.hashing import hash_bytes, hash_file
from media_pipeline.scan.walk import Directory, walk

STAGE = "scan"
# Bump when metadata extraction changes: rows of an older version are described again.
METADATA_VERSION = 2  # 2: captions, rating, keywords, state, Live Photo identifiers

Progress = Callable[[int, int, float], None]


class ScanRefused(RuntimeError):
    """The library folder looks unavailable; scanning would wrongly mark everything missing."""


@dataclass(frozen=True)
class ScanSettings:
    batch_size: int = 200
    batch_seconds: float = 5.0
    progress_seconds: float = 2.0
    max_pixels: int = 250_000_000
    verify: bool = True
    # Images up to this size are read once into memory for both the hash and the decoder.
    read_whole_limit: int = 64 << 20


@dataclass
class ScanCounts:
    seen: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: int = 0
    failed_unchanged: int = 0
    ignored: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    walk_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return self.new + self.changed + self.moved + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class WorkItem:
    rel_path: str
    size: int
    mtime_ns: int
    file_id: int | None
    sidecar: str | None


@dataclass
class _Batch:
    """Writes prepared in memory and applied together in one transaction."""

    library_id: int
    files: list[FileVersion] = field(default_factory=list)
    moves: list[tuple[int, WorkItem]] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    named_faces: list[tuple[str, Any]] = field(default_factory=list)  # (content hash, regions)
    started: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.files) + len(self.moves) + len(self.failures)

    def flush(self, catalog: Catalog) -> None:
        if len(self) or self.resolved:
            with catalog.transaction() as writer:
                for file_id, item in self.moves:
                    writer.move_file(file_id, item.rel_path, size=item.size, mtime_ns=item.mtime_ns)
                writer.upsert_files(self.library_id, self.files)
                writer.record_errors(self.library_id, self.failures)
                writer.resolve_errors(self.library_id, STAGE, self.resolved)
            import_face_regions(catalog, self.named_faces)  # once their files are catalogued
        self.files, self.moves, self.failures, self.resolved = [], [], [], []
        self.named_faces = []
        self.started = time.monotonic()


def scan_library(
    catalog: Catalog,
    library: Library,
    settings: ScanSettings | None = None,
    progress: Progress | None = None,
) -> ScanCounts:
    settings = settings or ScanSettings()
    counts = ScanCounts()
    started = time.monotonic()
    _check_root(catalog, library)
    # Files marked missing in pass 1 that pass 2 finds moved count as moved, not missing.
    marked_missing: set[int] = set()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as worklist:
        total = _compare(catalog, library, counts, worklist, marked_missing)
        counts.walk_seconds = time.monotonic() - started
        worklist.seek(0)
        work = _read_worklist(worklist)
        _process(catalog, library, settings, counts, work, total, progress, marked_missing)
    link_live_photos(catalog, library.id)
    catalog.touch_library_scanned(library.id)
    counts.seconds = time.monotonic() - started
    return counts


def _check_root(catalog: Catalog, library: Library) -> None:
    if not os.path.isdir(library.root):
        raise ScanRefused(
            f"library folder {library.root} is not available (unmounted drive or deleted "
            "folder?); nothing was marked missing"
        )
    with os.scandir(library.root) as entries:
        empty = next(entries, None) is None
    present = catalog.count_files(library.id, status="present")
    if empty and present:
        raise ScanRefused(
            f"library folder {library.root} is empty but the catalog has {present} files there; "
            "is the drive mounted? Nothing was marked missing"
        )


def _compare(
    catalog: Catalog,
    library: Library,
    counts: ScanCounts,
    worklist: Any,
    marked_missing: set[int],
) -> int:
    """Pass 1: walk, compare with the catalog, mark missing, spill the work. Returns its size."""
    failures = catalog.unresolved_failures(library.id, STAGE)
    unseen = catalog.unresolved_error_paths(library.id)  # failed paths the walk has not met
    visited: set[str] = set()
    unreadable: list[str] = []
    total = 0
    for directory in walk(library.root):
        visited.add(directory.rel_dir)
        unseen.discard(directory.rel_dir)
        unseen.difference_update(entry.rel_path for entry in directory.files)
        unseen.difference_update(rel for rel, _ in directory.problems)
        known = catalog.files_in_dir(library.id, directory.rel_dir)
        for item in _media_in(directory, counts):
            counts.seen += 1
            row = known.pop(item.rel_path, None)
            if (
                row is not None
                and row.status == "present"
                and (row.size, row.mtime_ns) == (item.size, item.mtime_ns)
                and row.metadata_version == METADATA_VERSION
            ):
                counts.unchanged += 1
            elif row is None and failures.get(item.rel_path) == (item.size, item.mtime_ns):
                counts.failed_unchanged += 1  # failed before and unchanged: see `errors --retry`
            else:
                file_id = row.id if row is not None else None
                line = [item.rel_path, item.size, item.mtime_ns, file_id, item.sidecar]
                worklist.write(json.dumps(line) + "\n")
                total += 1
        if not directory.readable:
            unreadable.append(directory.rel_dir)
            known = {}  # an unreadable folder's files are not missing, just out of reach
        vanished = [row.id for row in known.values() if row.status == "present"]
        problems = directory.problems
        if vanished or problems:
            with catalog.transaction() as writer:
                counts.missing += writer.mark_missing(vanished)
                writer.record_errors(
                    library.id, [FileFailure(rel, STAGE, error) for rel, error in problems]
                )
            marked_missing.update(vanished)
            counts.failed += len(problems)
    for gone in sorted(catalog.present_dirs(library.id) - visited):
        if any(_within(gone, folder) for folder in unreadable):
            continue
        with catalog.transaction() as writer:
            ids = writer.mark_dir_missing(library.id, gone)
        counts.missing += len(ids)
        marked_missing.update(ids)
    _resolve_gone_failures(catalog, library, unseen, unreadable)
    return total


def _resolve_gone_failures(
    catalog: Catalog, library: Library, unseen: set[str], unreadable: list[str]
) -> None:
    """Failures of files the walk no longer found are resolved, in every stage: the ledger
    lists what is wrong now (a file deleted mid-run is not an error for ever). Paths inside
    folders the walk could not read are out of reach, not gone."""
    gone = [rel for rel in unseen if not any(_within(rel, folder) for folder in unreadable)]
    if gone:
        with catalog.transaction() as writer:
            writer.resolve_errors(library.id, None, gone)


def _within(rel_path: str, folder: str) -> bool:
    return folder == "" or rel_path == folder or rel_path.startswith(folder + os.sep)


def _media_in(directory: Directory, counts: ScanCounts) -> Iterator[WorkItem]:
    """Media files of one folder, each with its XMP sidecar; sidecars change the mtime token."""
    sidecars = {
        entry.rel_path.lower(): entry
        for entry in directory.files
        if classify(entry.rel_path) == "sidecar"
    }
    for entry in directory.files:
        kind = classify(entry.rel_path)
        if kind == "sidecar":
            continue
        if kind is None:
            counts.ignored += 1
            continue
        stem = os.path.splitext(entry.rel_path)[0]
        sidecar = sidecars.get(f"{entry.rel_path}.xmp".lower()) or sidecars.get(
            f"{stem}.xmp".lower()
        )
        mtime_ns = max(entry.mtime_ns, sidecar.mtime_ns) if sidecar else entry.mtime_ns
        yield WorkItem(
            entry.rel_path, entry.size, mtime_ns, None, sidecar.rel_path if sidecar else None
        )


def _read_worklist(worklist: Any) -> Iterator[WorkItem]:
    for line in worklist:
        rel_path, size, mtime_ns, file_id, sidecar = json.loads(line)
        yield WorkItem(rel_path, size, mtime_ns, file_id, sidecar)


def _process(
    catalog: Catalog,
    library: Library,
    settings: ScanSettings,
    counts: ScanCounts,
    work: Iterator[WorkItem],
    total: int,
    progress: Progress | None,
    marked_missing: set[int],
) -> None:
    """Pass 2: hash, detect moves, describe, commit in batches; failures go to the ledger."""
    failures = catalog.unresolved_failures(library.id, STAGE)
    # A move needs a missing row to come from: none (a first scan), no look-ups at all.
    moves_possible = catalog.count_files(library.id, status="missing") > 0
    batch = _Batch(library.id)
    started = last_report = time.monotonic()
    done = 0
    try:
        for item in work:
            _process_one(
                catalog,
                library,
                settings,
                counts,
                item,
                batch,
                item.rel_path in failures,
                marked_missing,
                moves_possible,
            )
            done += 1
            now = time.monotonic()
            if len(batch) >= settings.batch_size or now - batch.started >= settings.batch_seconds:
                batch.flush(catalog)
            if progress and now - last_report >= settings.progress_seconds:
                progress(done, total, now - started)
                last_report = now
    finally:
        # Everything prepared so far is complete work: keep it even when interrupted.
        batch.flush(catalog)
    if progress:
        progress(done, total, time.monotonic() - started)


def _process_one(
    catalog: Catalog,
    library: Library,
    settings: ScanSettings,
    counts: ScanCounts,
    item: WorkItem,
    batch: _Batch,
    failed_before: bool,
    marked_missing: set[int],
    moves_possible: bool,
) -> None:
    path = library.absolute(item.rel_path)
    rel = item.rel_path

    def fail(message: str) -> None:
        counts.failed += 1
        batch.failures.append(FileFailure(rel, STAGE, message, item.size, item.mtime_ns))

    try:
        data: bytes | None = None
        if classify(rel) == "image" and item.size <= settings.read_whole_limit:
            with open(path, "rb") as handle:
                data = handle.read()
            content_hash, read = hash_bytes(data), len(data)
        else:
            content_hash, read = hash_file(path)
    except OSError as exc:
        fail(read_failure(exc))
        return
    counts.files_hashed += 1
    counts.bytes_hashed += read

    if item.file_id is None and moves_possible:
        claimed = {file_id for file_id, _ in batch.moves}
        moved_from = _moved_from(catalog, library, content_hash, rel, claimed)
        if moved_from is not None:
            counts.moved += 1
            if moved_from in marked_missing:
                counts.missing -= 1
                marked_missing.discard(moved_from)
            batch.moves.append((moved_from, item))
            if failed_before:
                batch.resolved.append(rel)
            return

    try:
        described = extract_metadata(
            path,
            data=data,
            mtime=item.mtime_ns / 1e9,
            sidecar=library.absolute(item.sidecar) if item.sidecar else None,
            max_pixels=settings.max_pixels,
            verify=settings.verify,
        )
    except MediaError as exc:
        fail(str(exc))
        return
    except OSError as exc:
        fail(read_failure(exc))
        return

    if item.file_id is None:
        counts.new += 1
    else:
        counts.changed += 1
    record = described.as_record()
    if described.motion_video and data is not None:
        record["motion_video"] = save_motion_video(data, described.motion_video, content_hash)
    if described.face_regions:
        batch.named_faces.append((content_hash, described.face_regions))
    batch.files.append(
        FileVersion(rel, item.size, item.mtime_ns, content_hash, METADATA_VERSION, record)
    )
    if described.extension_mismatch:
        mismatch = f"catalogued, but {described.extension_mismatch}"
        batch.failures.append(FileFailure(rel, STAGE, mismatch, item.size, item.mtime_ns))
    elif failed_before:
        batch.resolved.append(rel)


def _moved_from(
    catalog: Catalog, library: Library, content_hash: str, rel_path: str, claimed: set[int]
) -> int | None:
    """The row of a file with this content whose old path is gone: the file was moved here.
    Pass 1 marked every vanished file missing, so only missing rows are candidates (not the
    present copies, which would make a library of many copies quadratic); ``claimed``: rows
    another file of the uncommitted batch already moved."""
    for candidate in catalog.missing_with_hash(library.id, content_hash, len(claimed) + 20):
        if (
            candidate.id not in claimed
            and candidate.rel_path != rel_path
            and not os.path.lexists(library.absolute(candidate.rel_path))
        ):
            return candidate.id
    return None
