"""The incremental scan of one library: find new, changed, moved and missing files.

Two passes keep memory flat. Pass 1 (``plan_scan``) walks one folder at a time, compares
(size, mtime) with the catalog's rows for that folder, marks vanished files missing and
spills the files that need work to a work list in a folder. Pass 2 (``scan_chunk``, once per
chunk of the list: the asset's batch steps, on any machine that shares the folder) hashes and
describes those files and commits them in batches, so a cancelled or crashed run keeps every
committed batch and the next run resumes from there (what was committed compares unchanged in
pass 1, and in a chunk delivered again). ``finish_scan`` links what spans chunks.

Moves are found by content: a new path whose hash matches a catalogued file whose old path no
longer exists takes over that row, keeping its id and everything derived from it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO

from media_pipeline.catalog.face_regions import import_face_regions
from media_pipeline.catalog.failures import (
    FileFailure,
    record_errors,
    resolve_errors,
    unresolved_error_paths,
    unresolved_failures,
)
from media_pipeline.catalog.live import link_live_photos
from media_pipeline.catalog.store import Catalog, FileVersion, Library
from media_pipeline.metadata.errors import read_failure
from media_pipeline.metadata.formats import classify
from media_pipeline.scan.describe import (
    Described,
    DescribeSettings,
    Job,
    describe_hashed,
    hash_job,
)
from media_pipeline.scan.walk import Directory, walk
from media_pipeline.settings import available_cores
from media_pipeline.stages.pool import work_many

STAGE = "scan"
WORK_LIST = "work.jsonl"  # in a plan's folder: one line per file to hash and describe
MARKED_MISSING = "missing.json"  # the rows pass 1 marked missing
# Bump when metadata extraction changes: rows of an older version are described again.
METADATA_VERSION = 2  # 2: captions, rating, keywords, state, Live Photo identifiers

# The describing workers' functions: runs of RUN_FILES files (one message each way per run),
# and one file alone (the files of a run whose worker died, to find the one that kills).
DESCRIBE = "media_pipeline.scan.describe:describe_files"
DESCRIBE_ONE = "media_pipeline.scan.describe:describe_file"
RUN_FILES = 64
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
    chunk_files: int = 10_000  # files per chunk of pass 2 (a batch step of the asset)
    workers: int = 0  # describing processes; 0: one per core, 1: this process only
    # Fewer files than this are described in this process: workers start in about 0.3 s,
    # what describing 700 small files takes.
    parallel_from: int = 1_000

    def describing(self) -> DescribeSettings:
        return DescribeSettings(self.max_pixels, self.verify, self.read_whole_limit)


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

    def add(self, other: ScanCounts) -> None:
        """Another part's counts (a chunk of pass 2) added to these."""
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True)
class WorkItem:
    rel_path: str
    size: int
    mtime_ns: int
    file_id: int | None
    sidecar: str | None


@dataclass(frozen=True)
class ScanChunk:
    """One batch of pass 2: ``files`` lines of the plan's work list from byte ``offset``. It
    passes between steps (and machines) through the work folder under MEDIA_PIPELINE_HOME."""

    index: int
    offset: int
    files: int


@dataclass
class ScanPlan:
    """What pass 1 found: its counts, and the work list in ``folder`` (one JSON line per file
    to hash and describe, plus the rows it marked missing, which pass 2 may find moved)."""

    counts: ScanCounts
    folder: Path
    offsets: array  # the byte offset of each line of the work list

    @property
    def total(self) -> int:
        return len(self.offsets)

    def chunks(self, files: int) -> list[ScanChunk]:
        files = max(files, 1)
        return [
            ScanChunk(index, self.offsets[start], min(files, self.total - start))
            for index, start in enumerate(range(0, self.total, files))
        ]


@dataclass
class _Batch:
    """Writes prepared in memory and applied together in one transaction."""

    library_id: int
    counts: ScanCounts
    marked_missing: set[int]
    files: list[FileVersion] = field(default_factory=list)
    moves: list[tuple[int, WorkItem, bool]] = field(default_factory=list)  # (row, to, resolve)
    failures: list[FileFailure] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    named_faces: list[tuple[str, Any]] = field(default_factory=list)  # (content hash, regions)
    started: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.files) + len(self.moves) + len(self.failures)

    def flush(self, catalog: Catalog) -> list[WorkItem]:
        """Apply what is prepared; the files whose move another batch of the scan made first
        come back (they are new files, to be described)."""
        lost: list[WorkItem] = []
        if len(self) or self.resolved:
            with catalog.transaction() as writer:
                for file_id, item, resolve in self.moves:
                    if not writer.move_file(
                        file_id, item.rel_path, size=item.size, mtime_ns=item.mtime_ns
                    ):
                        lost.append(item)
                        continue
                    self.counts.moved += 1
                    if file_id in self.marked_missing:
                        self.counts.missing -= 1  # marked missing by pass 1: moved after all
                        self.marked_missing.discard(file_id)
                    if resolve:
                        self.resolved.append(item.rel_path)
                writer.upsert_files(self.library_id, self.files)
                record_errors(writer, self.library_id, self.failures)
                resolve_errors(writer, self.library_id, STAGE, self.resolved)
            import_face_regions(catalog, self.named_faces)  # once their files are catalogued
        self.files, self.moves, self.failures, self.resolved = [], [], [], []
        self.named_faces = []
        self.started = time.monotonic()
        return lost


def scan_library(
    catalog: Catalog,
    library: Library,
    settings: ScanSettings | None = None,
    progress: Progress | None = None,
) -> ScanCounts:
    """The whole scan in this process: pass 1, every chunk of pass 2, then the library's
    links (what the `media_catalog` asset does in its plan, batch and collect steps)."""
    settings = settings or ScanSettings()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scan-") as folder:
        plan = plan_scan(catalog, library, Path(folder))
        counts = plan.counts
        done = 0
        for chunk in plan.chunks(settings.chunk_files):

            def report(finished: int, _: int, elapsed: float, before: int = done) -> None:
                if progress is not None:
                    progress(before + finished, plan.total, elapsed)

            counts.add(scan_chunk(catalog, library, settings, plan.folder, chunk, report))
            done += chunk.files
    finish_scan(catalog, library)
    counts.seconds = time.monotonic() - started
    return counts


def plan_scan(catalog: Catalog, library: Library, folder: Path) -> ScanPlan:
    """Pass 1 into ``folder``: walk, compare, mark missing, write the work list."""
    started = time.monotonic()
    _check_root(catalog, library)
    counts = ScanCounts()
    marked_missing: set[int] = set()
    offsets = array("q")
    with open(folder / WORK_LIST, "wb") as worklist:
        _compare(catalog, library, counts, worklist, offsets, marked_missing)
    (folder / MARKED_MISSING).write_text(json.dumps(sorted(marked_missing)))
    counts.walk_seconds = time.monotonic() - started
    return ScanPlan(counts, folder, offsets)


def scan_chunk(
    catalog: Catalog,
    library: Library,
    settings: ScanSettings,
    folder: Path,
    chunk: ScanChunk,
    progress: Progress | None = None,
) -> ScanCounts:
    """Pass 2 over one chunk: hash, detect moves, describe, commit. Idempotent: what an
    earlier attempt of the chunk (or another scan) committed since the plan is skipped."""
    counts = ScanCounts()
    marked_missing = set(json.loads((folder / MARKED_MISSING).read_text()))
    with open(folder / WORK_LIST, "rb") as worklist:
        worklist.seek(chunk.offset)
        items = [_work_item(worklist.readline()) for _ in range(chunk.files)]
    failures = unresolved_failures(catalog, library.id, STAGE)
    known = catalog.files_at(library.id, [item.rel_path for item in items])
    work = []
    for item in items:
        row = known.get(item.rel_path)
        if row is not None and _current(row, item):
            counts.unchanged += 1
        elif row is None and failures.get(item.rel_path) == (item.size, item.mtime_ns):
            counts.failed_unchanged += 1
        else:
            work.append(item)
    _process(catalog, library, settings, counts, work, failures, progress, marked_missing)
    return counts


def finish_scan(catalog: Catalog, library: Library) -> None:
    """After every chunk: Live Photo pairs (which may span chunks), the scan's time."""
    link_live_photos(catalog, library.id)
    catalog.touch_library_scanned(library.id)


def _current(row: Any, item: WorkItem) -> bool:
    return (
        row.status == "present"
        and (row.size, row.mtime_ns) == (item.size, item.mtime_ns)
        and row.metadata_version == METADATA_VERSION
    )


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
    worklist: BinaryIO,
    offsets: array,
    marked_missing: set[int],
) -> None:
    """Pass 1: walk, compare with the catalog, mark missing, spill the work to ``worklist``
    (the offset of each line in ``offsets``)."""
    failures = unresolved_failures(catalog, library.id, STAGE)
    unseen = unresolved_error_paths(catalog, library.id)  # failed paths the walk has not met
    visited: set[str] = set()
    unreadable: list[str] = []
    written = 0
    for directory in walk(library.root):
        visited.add(directory.rel_dir)
        unseen.discard(directory.rel_dir)
        unseen.difference_update(entry.rel_path for entry in directory.files)
        unseen.difference_update(rel for rel, _ in directory.problems)
        known = catalog.files_in_dir(library.id, directory.rel_dir)
        for item in _media_in(directory, counts):
            counts.seen += 1
            row = known.pop(item.rel_path, None)
            if row is not None and _current(row, item):
                counts.unchanged += 1
            elif row is None and failures.get(item.rel_path) == (item.size, item.mtime_ns):
                counts.failed_unchanged += 1  # failed before and unchanged: see `errors --retry`
            else:
                file_id = row.id if row is not None else None
                line = [item.rel_path, item.size, item.mtime_ns, file_id, item.sidecar]
                offsets.append(written)
                written += worklist.write(json.dumps(line).encode() + b"\n")
        if not directory.readable:
            unreadable.append(directory.rel_dir)
            known = {}  # an unreadable folder's files are not missing, just out of reach
        vanished = [row.id for row in known.values() if row.status == "present"]
        problems = directory.problems
        if vanished or problems:
            with catalog.transaction() as writer:
                counts.missing += writer.mark_missing(vanished)
                record_errors(
                    writer, library.id, [FileFailure(rel, STAGE, error) for rel, error in problems]
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


def _resolve_gone_failures(
    catalog: Catalog, library: Library, unseen: set[str], unreadable: list[str]
) -> None:
    """Failures of files the walk no longer found are resolved, in every stage: the ledger
    lists what is wrong now (a file deleted mid-run is not an error for ever). Paths inside
    folders the walk could not read are out of reach, not gone."""
    gone = [rel for rel in unseen if not any(_within(rel, folder) for folder in unreadable)]
    if gone:
        with catalog.transaction() as writer:
            resolve_errors(writer, library.id, None, gone)


def _within(rel_path: str, folder: str) -> bool:
    return folder == "" or rel_path == folder or rel_path.startswith(folder + os.sep)


def _media_in(directory: Directory, counts: ScanCounts) -> Iterator[WorkItem]:
    """Media files of one folder, each with its XMP sidecar; sidecars change the mtime token."""
    kinds = [classify(entry.rel_path) for entry in directory.files]
    sidecars = {
        entry.rel_path.lower(): entry
        for entry, kind in zip(directory.files, kinds, strict=True)
        if kind == "sidecar"
    }
    for entry, kind in zip(directory.files, kinds, strict=True):
        if kind == "sidecar":
            continue
        if kind is None:
            counts.ignored += 1
            continue
        if not sidecars:
            yield WorkItem(entry.rel_path, entry.size, entry.mtime_ns, None, None)
            continue
        stem = os.path.splitext(entry.rel_path)[0]
        sidecar = sidecars.get(f"{entry.rel_path}.xmp".lower()) or sidecars.get(
            f"{stem}.xmp".lower()
        )
        mtime_ns = max(entry.mtime_ns, sidecar.mtime_ns) if sidecar else entry.mtime_ns
        yield WorkItem(
            entry.rel_path, entry.size, mtime_ns, None, sidecar.rel_path if sidecar else None
        )


def _work_item(line: bytes) -> WorkItem:
    rel_path, size, mtime_ns, file_id, sidecar = json.loads(line)
    return WorkItem(rel_path, size, mtime_ns, file_id, sidecar)


def _process(
    catalog: Catalog,
    library: Library,
    settings: ScanSettings,
    counts: ScanCounts,
    work: list[WorkItem],
    failures: dict[str, tuple[int, int]],
    progress: Progress | None,
    marked_missing: set[int],
) -> None:
    """Pass 2: hash, detect moves, describe, commit in batches; failures go to the ledger."""
    # A move needs a missing row to come from: none (a first scan), no look-ups at all.
    moves_possible = catalog.count_files(library.id, status="missing") > 0
    batch = _Batch(library.id, counts, marked_missing)
    started = last_report = time.monotonic()
    total = len(work)
    done = 0
    describe = settings.describing()

    def one(item: WorkItem, moves: bool) -> None:
        job = _job(library, item)
        hashed = hash_job(job, describe)
        if isinstance(hashed, str):
            _add(counts, batch, item, hashed, item.rel_path in failures)
            return
        if item.file_id is None and moves:
            claimed = {file_id for file_id, _, _ in batch.moves}
            moved_from = _moved_from(catalog, library, hashed.content_hash, item.rel_path, claimed)
            if moved_from is not None:
                counts.files_hashed += 1
                counts.bytes_hashed += hashed.read
                # Counted as moved once applied (another batch may have moved it first).
                batch.moves.append((moved_from, item, item.rel_path in failures))
                return
        _add(counts, batch, item, describe_hashed(job, hashed, describe), item.rel_path in failures)

    def results() -> Iterator[tuple[WorkItem, Described | str | None]]:
        """Described in worker processes when no file can be a move (each would be hashed
        before it is described) and the work pays for their start-up; else here."""
        workers = settings.workers or available_cores()
        if moves_possible or workers <= 1 or total < settings.parallel_from:
            yield from ((item, None) for item in work)
            return
        runs = [
            (start, [_job(library, item) for item in work[start : start + RUN_FILES]])
            for start in range(0, total, RUN_FILES)
        ]
        for start, results_of_run in work_many(runs, describe, workers, DESCRIBE):
            if not isinstance(results_of_run, list):  # its worker died: each file again alone
                alone = ((start + i, job) for i, job in enumerate(runs[start // RUN_FILES][1]))
                for index, result in work_many(alone, describe, workers, DESCRIBE_ONE):
                    yield work[index], _outcome(result)
                continue
            for offset, result in enumerate(results_of_run):
                yield work[start + offset], result

    outcomes = results()
    try:
        for item, result in outcomes:
            if result is None:
                one(item, moves_possible)
            else:
                _add(counts, batch, item, result, item.rel_path in failures)
            done += 1
            now = time.monotonic()
            if len(batch) >= settings.batch_size or now - batch.started >= settings.batch_seconds:
                for lost in batch.flush(catalog):
                    one(lost, False)
            if progress and now - last_report >= settings.progress_seconds:
                progress(done, total, now - started)
                last_report = now
        while lost_moves := batch.flush(catalog):
            for lost in lost_moves:
                one(lost, False)
    finally:
        outcomes.close()  # an interrupted scan stops its workers
        # Everything prepared so far is complete work: keep it even when interrupted.
        batch.flush(catalog)
    if progress:
        progress(done, total, time.monotonic() - started)


def _outcome(result: object) -> Described | str:
    if isinstance(result, (Described, str)):
        return result
    return read_failure(result) if isinstance(result, OSError) else str(result)


def _job(library: Library, item: WorkItem) -> Job:
    sidecar = str(library.absolute(item.sidecar)) if item.sidecar else None
    path = str(library.absolute(item.rel_path))
    return Job(path, item.rel_path, item.size, item.mtime_ns, sidecar)


def _add(
    counts: ScanCounts,
    batch: _Batch,
    item: WorkItem,
    result: Described | str,
    failed_before: bool,
) -> None:
    """One file's outcome into the batch: its row, or its failure for the ledger."""
    rel = item.rel_path

    def fail(message: str) -> None:
        counts.failed += 1
        batch.failures.append(FileFailure(rel, STAGE, message, item.size, item.mtime_ns))

    if isinstance(result, str):  # not read (or its worker crashed): nothing was hashed
        fail(result)
        return
    counts.files_hashed += 1
    counts.bytes_hashed += result.read
    if result.failure is not None or result.record is None:
        fail(result.failure or "not described")
        return
    if item.file_id is None:
        counts.new += 1
    else:
        counts.changed += 1
    if result.face_regions:
        batch.named_faces.append((result.content_hash, result.face_regions))
    batch.files.append(
        FileVersion(rel, item.size, item.mtime_ns, result.content_hash, METADATA_VERSION,
                    result.record)
    )  # fmt: skip
    if result.extension_mismatch:
        mismatch = f"catalogued, but {result.extension_mismatch}"
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
