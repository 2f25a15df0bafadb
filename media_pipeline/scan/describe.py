"""Pass 2's work on one file: read, hash, describe. Pure (no catalog), so it runs in the scan's
process or in worker processes (``describe_file``, through ``stages.pool``) alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from media_pipeline.catalog.live import save_motion_video
from media_pipeline.metadata.errors import read_failure
from media_pipeline.metadata.extract import MediaError, extract_metadata
from media_pipeline.metadata.formats import classify
from media_pipeline.scan.hashing import hash_bytes, hash_file


@dataclass(frozen=True)
class DescribeSettings:
    max_pixels: int
    verify: bool
    read_whole_limit: int  # images up to this size are read once for hash and decoder


@dataclass(frozen=True)
class Job:
    """One file to describe: its absolute path, kind of path, size and modification time."""

    path: str
    rel_path: str
    size: int
    mtime_ns: int
    sidecar: str | None  # absolute path of its XMP sidecar


@dataclass(frozen=True)
class Hashed:
    content_hash: str
    read: int  # bytes hashed
    data: bytes | None  # the whole file, when it was read into memory for the decoder too


@dataclass(frozen=True)
class Described:
    """What the catalog row needs; ``failure`` when the file was hashed but not understood."""

    content_hash: str
    read: int
    record: dict[str, Any] | None = None
    face_regions: Any = None
    extension_mismatch: str | None = None
    failure: str | None = None


def hash_job(job: Job, settings: DescribeSettings) -> Hashed | str:
    """The file's content hash, or why it cannot be read."""
    try:
        if classify(job.rel_path) == "image" and job.size <= settings.read_whole_limit:
            with open(job.path, "rb") as handle:
                data = handle.read()
            return Hashed(hash_bytes(data), len(data), data)
        content_hash, read = hash_file(job.path)
        return Hashed(content_hash, read, None)
    except OSError as exc:
        return read_failure(exc)


def describe_hashed(job: Job, hashed: Hashed, settings: DescribeSettings) -> Described:
    """The file's metadata as its catalog row holds it (a motion photo's video saved)."""
    try:
        described = extract_metadata(
            job.path,
            data=hashed.data,
            mtime=job.mtime_ns / 1e9,
            sidecar=job.sidecar,
            max_pixels=settings.max_pixels,
            verify=settings.verify,
        )
    except MediaError as exc:
        return Described(hashed.content_hash, hashed.read, failure=str(exc))
    except OSError as exc:
        return Described(hashed.content_hash, hashed.read, failure=read_failure(exc))
    record = described.as_record()
    if described.motion_video and hashed.data is not None:
        record["motion_video"] = save_motion_video(
            hashed.data, described.motion_video, hashed.content_hash
        )
    return Described(
        hashed.content_hash,
        hashed.read,
        record,
        described.face_regions,
        described.extension_mismatch,
    )


def describe_file(job: Job, settings: DescribeSettings) -> Described | str:
    """Hash and describe (a worker process's function): a str says why it cannot be read."""
    hashed = hash_job(job, settings)
    if isinstance(hashed, str):
        return hashed
    return describe_hashed(job, hashed, settings)


def describe_files(jobs: list[Job], settings: DescribeSettings) -> list[Described | str]:
    """describe_file over a run of files: one message each way per run, not per file."""
    return [describe_file(job, settings) for job in jobs]
