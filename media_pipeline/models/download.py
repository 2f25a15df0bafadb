"""Downloading one file with a known SHA-256, and unpacking a model archive.

The file is streamed into a hidden ``.part`` file beside the target, hashed on the way, and
renamed into place only when the hash matches: a crash, Ctrl-C or a bad checksum never
leaves a file under the target's name that a later load could mistake for the model.
urllib (not requests/httpx) because this is the only HTTP the package does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from media_pipeline.models.errors import ChecksumError, DownloadError

__all__ = ["download_url", "sha256_file", "unpack_zip"]

CHUNK = 1 << 20
USER_AGENT = "media-pipeline (model download)"

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (model weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_url(
    url: str,
    sha256: str,
    target: Path,
    *,
    timeout: float = 60.0,
    progress: Progress | None = None,
) -> Path:
    """Download ``url`` to ``target`` if and only if its SHA-256 is ``sha256``.

    Raises ChecksumError (nothing is left behind) or DownloadError (network, HTTP status).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    expected = sha256.strip().lower()
    fd, part_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    part = Path(part_name)
    try:
        digest = hashlib.sha256()
        done = 0
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    while chunk := response.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                http = isinstance(exc, urllib.error.HTTPError)
                reason = exc if http else getattr(exc, "reason", None) or exc
                raise DownloadError(f"could not download {url}: {reason}") from exc
        actual = digest.hexdigest()
        if actual != expected:
            raise ChecksumError(url, expected, actual)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def unpack_zip(archive: Path, destination: Path) -> Path:
    """Extract ``archive`` into ``destination`` (created; must not exist yet).

    Archives that wrap everything in one top-level folder (``buffalo_l/det_10g.onnx``) are
    flattened, so the model's files sit directly in ``destination`` either way. zipfile
    already refuses absolute paths and ``..``; links are not extracted as links.
    """
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as handle:
        for member in handle.infolist():
            if member.is_dir():
                continue
            mode = member.external_attr >> 16
            if mode and (mode & 0o170000) == 0o120000:  # a symlink entry
                raise DownloadError(f"{archive.name}: refusing the link {member.filename!r}")
            handle.extract(member, destination)
    entries = [entry for entry in destination.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        inner = entries[0]
        for child in list(inner.iterdir()):
            shutil.move(str(child), destination / child.name)
        inner.rmdir()
    return destination
