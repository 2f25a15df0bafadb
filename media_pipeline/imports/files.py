"""The file operations of a move that loses nothing: a verified copy under a name that was
free, then removal of the source. Pure file work, no catalog.

Copies are written to a hidden temporary file (the scan skips hidden entries) beside the
target, fsynced, read back and hashed, and then hard-linked to their name: a link never
replaces an existing file, so a name taken meanwhile is a FileExistsError, not an overwrite.
"""

from __future__ import annotations

import os
from pathlib import Path

import xxhash

from media_pipeline.scan.hashing import CHUNK, hash_file


class MoveError(RuntimeError):
    pass


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_for(target: Path, move_id: int) -> Path:
    return target.parent / f".import-{move_id}.part"


def copy_verified(source: Path, target: Path, content_hash: str, move_id: int) -> None:
    """Copy ``source`` to ``target`` (which must not exist), keeping its modification time;
    raises MoveError when the source no longer has ``content_hash`` or the copy reads back
    different, FileExistsError when ``target`` was taken."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_for(target, move_id)
    temporary.unlink(missing_ok=True)  # a crashed earlier try
    try:
        hasher = xxhash.xxh3_128()
        with open(source, "rb") as src, open(temporary, "xb") as dst:
            while chunk := src.read(CHUNK):
                hasher.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
            stat = os.fstat(src.fileno())
        if hasher.hexdigest() != content_hash:
            raise MoveError(f"{source} changed since it was scanned; it waits for the next run")
        if hash_file(str(temporary))[0] != content_hash:
            raise MoveError(f"the copy at {target} does not read back the same; source kept")
        os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        os.link(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def holds(path: Path, content_hash: str) -> bool:
    """``path`` exists and has exactly this content."""
    try:
        return hash_file(str(path))[0] == content_hash
    except FileNotFoundError:
        return False


def remove_source(source: Path) -> None:
    """Remove a source whose verified copy is in place (gone already is fine)."""
    source.unlink(missing_ok=True)
    _fsync_dir(source.parent)
