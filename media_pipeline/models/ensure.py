"""``ensure_model``: the one call that turns a ModelSpec into a verified folder on disk.

- A local directory (``MEDIA_PIPELINE_CLIP_MODEL=/path``) is used as is; when it carries a
  manifest it is verified against it.
- A hub or URL model lives in ``<models folder>/<folder_name>``. A folder with a manifest
  is verified (every file hashed); a damaged one is repaired by downloading the bad files
  again when online, and is a ModelCorrupt error offline. A folder without a manifest is
  an interrupted download: resumed online, ModelMissing offline.
- Hub models come through ``huggingface_hub.snapshot_download(local_dir=...)``, restricted
  to the files transformers needs; URL models through ``download_url`` with their pinned
  SHA-256, unpacked in a temporary folder and renamed into place.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from media_pipeline.models.download import download_url, unpack_zip
from media_pipeline.models.errors import DownloadError, ModelCorrupt, ModelError, ModelMissing
from media_pipeline.models.manifest import (
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    read_manifest,
    scan_files,
    verify,
    write_manifest,
)
from media_pipeline.models.specs import ModelSpec, face_spec, offline_from_env

__all__ = ["ModelFiles", "ensure_model"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelFiles:
    """A verified model folder: what to load, and what to record about it."""

    path: Path
    name: str  # the spec's stable name (hub id, "insightface/buffalo_l", a local path)
    files: list[FileEntry]
    licence: str
    source: str
    downloaded: bool = False  # True when this call fetched anything


def ensure_model(spec: ModelSpec, folder: Path, offline: bool) -> ModelFiles:
    """The model's files under ``folder`` (MEDIA_PIPELINE_HOME/models), downloaded and
    verified; raises ModelMissing, ModelCorrupt or ChecksumError (all ModelError)."""
    if spec.kind == "local":
        return _local(spec)
    target = Path(folder) / spec.folder_name
    try:
        manifest = read_manifest(target)
        problems = verify(target, manifest) if manifest is not None else []
    except ValueError as exc:  # an unreadable manifest: the whole folder is suspect
        if offline:
            raise ModelCorrupt(spec.what, spec.setting, target, [exc]) from exc
        log.warning("%s, downloading %s again from scratch", exc, spec.what)
        shutil.rmtree(target)
        manifest, problems = None, []
    if manifest is not None and not problems:
        return _files(spec, target, manifest)
    if offline:
        if manifest is not None:
            raise ModelCorrupt(spec.what, spec.setting, target, problems)
        raise ModelMissing(
            spec.what, spec.setting, f"it is not in {target} and downloads are off (offline)"
        )
    if problems:
        log.warning("%s in %s is damaged, downloading again: %s", spec.what, target, problems)
        for problem in problems:
            (target / problem.file).unlink(missing_ok=True)
        (target / MANIFEST_NAME).unlink(missing_ok=True)
    if spec.kind == "huggingface":
        manifest = _download_hub(spec, target)
    elif spec.kind == "url":
        manifest = _download_url(spec, target)
    else:
        raise ValueError(f"unknown model kind {spec.kind!r}")
    return _files(spec, target, manifest, downloaded=True)


def _files(spec: ModelSpec, path: Path, manifest: Manifest, downloaded: bool = False) -> ModelFiles:
    return ModelFiles(
        path=path,
        name=manifest.model,
        files=list(manifest.files),
        licence=manifest.licence,
        source=manifest.source,
        downloaded=downloaded,
    )


def _missing_required(spec: ModelSpec, folder: Path) -> list[str]:
    return [
        " or ".join(group)
        for group in spec.required
        if not any((folder / name).is_file() for name in group)
    ]


def _local(spec: ModelSpec) -> ModelFiles:
    path = spec.local_path
    assert path is not None
    if not path.is_dir():
        raise ModelMissing(
            spec.what, spec.setting, f"{spec.setting} points to {path}, which is not a directory"
        )
    missing = _missing_required(spec, path)
    if missing:
        raise ModelMissing(spec.what, spec.setting, f"{path} has no {', no '.join(missing)}")
    try:
        manifest = read_manifest(path)
    except ValueError as exc:
        raise ModelCorrupt(spec.what, spec.setting, path, [exc]) from exc
    if manifest is not None:
        problems = verify(path, manifest)
        if problems:
            raise ModelCorrupt(spec.what, spec.setting, path, problems)
        return _files(spec, path, manifest)
    return ModelFiles(
        path=path, name=spec.name, files=scan_files(path), licence=spec.licence, source=str(path)
    )


def _download_hub(spec: ModelSpec, target: Path) -> Manifest:
    try:
        import huggingface_hub
    except ImportError as exc:
        raise ModelError(
            "huggingface_hub is not installed: pip install 'media_pipeline[ml]'"
        ) from exc
    target.mkdir(parents=True, exist_ok=True)
    log.info("downloading %s from %s into %s", spec.what, spec.source, target)

    def fetch(patterns: tuple[str, ...]) -> None:
        try:
            huggingface_hub.snapshot_download(
                repo_id=spec.name,
                revision=spec.revision,
                local_dir=target,
                allow_patterns=list(patterns) or None,
            )
        except Exception as exc:  # network, auth, missing repo, disk: all mean "not available"
            raise ModelMissing(spec.what, spec.setting, _hub_failure(spec, exc)) from exc

    fetch(spec.allow_patterns)
    if _missing_required(spec, target) and spec.fallback_patterns:
        fetch(spec.fallback_patterns)
    missing = _missing_required(spec, target)
    if missing:
        raise ModelMissing(spec.what, spec.setting, f"{spec.source} has no {', no '.join(missing)}")
    return write_manifest(
        target, model=spec.name, source=spec.source, licence=spec.licence, revision=spec.revision
    )


def _hub_failure(spec: ModelSpec, exc: Exception) -> str:
    """Why a hub download failed, in one line (huggingface_hub's messages run to paragraphs)."""
    import huggingface_hub.errors as hub_errors

    unreachable = (hub_errors.LocalEntryNotFoundError, hub_errors.OfflineModeIsEnabled, OSError)
    if isinstance(exc, unreachable) and not isinstance(exc, hub_errors.HfHubHTTPError):
        return f"it is not on disk and {spec.source} cannot be reached ({type(exc).__name__})"
    first_line = next(iter(str(exc).strip().splitlines()), "")
    return f"downloading it from {spec.source} failed ({type(exc).__name__}: {first_line})"


def _download_url(spec: ModelSpec, target: Path) -> Manifest:
    if not spec.url or not spec.sha256:
        raise ValueError(f"{spec.what}: a URL model needs both url and sha256")
    target.parent.mkdir(parents=True, exist_ok=True)
    file_name = Path(urlparse(spec.url).path).name or "download"
    # Staged beside the target (same file system, so the final rename is atomic).
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{spec.folder_name}.") as tmp:
        staging = Path(tmp)
        download = staging / file_name
        log.info("downloading %s from %s", spec.what, spec.url)
        try:
            download_url(spec.url, spec.sha256, download)
        except DownloadError as exc:  # (a ChecksumError stays what it is)
            raise ModelMissing(spec.what, spec.setting, str(exc)) from exc
        if spec.unpack:
            content = unpack_zip(download, staging / "content")
            download.unlink()
        else:
            content = staging / "content"
            content.mkdir()
            download.rename(content / file_name)
        missing = _missing_required(spec, content)
        if missing:
            raise ModelMissing(
                spec.what, spec.setting, f"{spec.url} has no {', no '.join(missing)}"
            )
        manifest = write_manifest(
            content,
            model=spec.name,
            source=spec.url,
            licence=spec.licence,
            archive_sha256=spec.sha256,
        )
        if target.exists():
            shutil.rmtree(target)
        content.rename(target)
    return manifest


def face_model_files(models_folder: Path, offline: bool | None = None) -> ModelFiles:
    """The insightface pack, downloaded (unless offline) and verified."""
    return ensure_model(
        face_spec(), models_folder, offline_from_env() if offline is None else offline
    )
