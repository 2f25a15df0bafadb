"""The manifest of a model folder: every file's SHA-256 and size, where it came from, its licence.

Written last, after a download completed and passed its checks, so its presence means "this
folder is complete"; checked on every later load, so a truncated copy, a disk error or a
hand-edited file is noticed before a model silently computes garbage embeddings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from media_pipeline.models.download import sha256_file

__all__ = [
    "MANIFEST_NAME",
    "FileEntry",
    "Manifest",
    "Problem",
    "read_manifest",
    "scan_files",
    "verify",
    "write_manifest",
]

MANIFEST_NAME = "media-pipeline-manifest.json"
FORMAT = 1


class FileEntry(NamedTuple):
    """One model file: its path relative to the model folder (POSIX separators)."""

    name: str
    size: int
    sha256: str


class Problem(NamedTuple):
    """One file that does not match the manifest, and how."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class Manifest:
    model: str  # the stable name (hub id, "insightface/buffalo_l")
    source: str  # where the files came from (URL, hub id and revision)
    licence: str
    files: tuple[FileEntry, ...]
    revision: str | None = None
    archive_sha256: str | None = None
    written_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "model": self.model,
            "source": self.source,
            "revision": self.revision,
            "archive_sha256": self.archive_sha256,
            "licence": self.licence,
            "written_at": self.written_at,
            "files": {f.name: {"sha256": f.sha256, "size": f.size} for f in self.files},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        files = tuple(
            FileEntry(name, int(entry["size"]), str(entry["sha256"]))
            for name, entry in sorted(data["files"].items())
        )
        return cls(
            model=str(data["model"]),
            source=str(data.get("source", "")),
            licence=str(data.get("licence", "")),
            files=files,
            revision=data.get("revision"),
            archive_sha256=data.get("archive_sha256"),
            written_at=str(data.get("written_at", "")),
        )


def _model_files(folder: Path) -> Iterable[Path]:
    """Every file of the model: not the manifest, nothing hidden (huggingface_hub keeps its
    download bookkeeping in ``.cache/``, partial downloads are ``.*.part``)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or (root == str(folder) and name == MANIFEST_NAME):
                continue
            yield Path(root) / name


def scan_files(folder: Path) -> list[FileEntry]:
    """Size and SHA-256 of every model file in ``folder``, sorted by name."""
    return [
        FileEntry(path.relative_to(folder).as_posix(), path.stat().st_size, sha256_file(path))
        for path in _model_files(folder)
    ]


def write_manifest(
    folder: Path,
    *,
    model: str,
    source: str,
    licence: str,
    revision: str | None = None,
    archive_sha256: str | None = None,
) -> Manifest:
    """Hash the folder's files and write the manifest (atomically: temp file + rename)."""
    manifest = Manifest(
        model=model,
        source=source,
        licence=licence,
        files=tuple(scan_files(folder)),
        revision=revision,
        archive_sha256=archive_sha256,
        written_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    temporary = folder / f".{MANIFEST_NAME}.tmp"
    temporary.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, folder / MANIFEST_NAME)
    return manifest


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest; None when there is none. A manifest that cannot be parsed
    raises ValueError (it is damaged: the caller treats the folder like a damaged one)."""
    path = folder / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return Manifest.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: unreadable manifest ({exc})") from exc


def verify(folder: Path, manifest: Manifest | None = None) -> list[Problem]:
    """What is wrong with ``folder`` against its manifest; an empty list when nothing is.

    Sizes are compared first (cheap, catches truncation), then every file is hashed
    (catches corruption in place): about a second for CLIP ViT-B/32's 600 MB.
    """
    if manifest is None:
        try:
            manifest = read_manifest(folder)
        except ValueError as exc:
            return [Problem(MANIFEST_NAME, str(exc))]
        if manifest is None:
            return [Problem(MANIFEST_NAME, "missing (the download never completed)")]
    problems: list[Problem] = []
    for entry in manifest.files:
        path = folder / entry.name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            problems.append(Problem(entry.name, "missing"))
            continue
        if size != entry.size:
            problems.append(Problem(entry.name, f"size {size} bytes, expected {entry.size}"))
            continue
        actual = sha256_file(path)
        if actual != entry.sha256:
            problems.append(
                Problem(entry.name, f"SHA-256 {actual[:12]}…, expected {entry.sha256[:12]}…")
            )
    return problems
