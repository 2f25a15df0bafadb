"""The name the catalog records for a CLIP model folder, without torch: a run's plan and the
search steps need it, and importing torch costs 2-3 s."""

from __future__ import annotations

import hashlib
from pathlib import Path

from media_pipeline.models.manifest import read_manifest


def stable_model_name(folder: Path) -> str:
    """What the catalog records as the model: the hub id when the folder was downloaded by
    ensure_model (its manifest says), else the folder's name and a hash of its config and
    weight file sizes (another fine-tune in the same folder name gets another name)."""
    try:
        manifest = read_manifest(folder)
    except ValueError:
        manifest = None
    if manifest is not None:
        return f"{manifest.model}@{manifest.revision}" if manifest.revision else manifest.model
    digest = hashlib.sha256()
    digest.update((folder / "config.json").read_bytes())
    for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(f"{path.name}:{path.stat().st_size}".encode())
    return f"{folder.name}-{digest.hexdigest()[:10]}"
