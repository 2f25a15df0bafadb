"""The one map of MEDIA_PIPELINE_HOME: every folder and file this project keeps there.

No Dagster and no settings here, so read-only commands, settings and the resource
(`paths.MediaPaths`) all share it. Derivatives are stored in the catalog relative to the
home (under THUMBS, VIDEOS, FACE_CROPS), so the home can move.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CATALOG_FILE = "catalog.db"  # the SQLite catalog, when no database URL is set
DAGSTER = "dagster"  # DAGSTER_HOME's default
THUMBS = "thumbs"  # previews and thumbnails, by content hash
VIDEOS = "videos"  # browser encodings of videos, by content hash
FACE_CROPS = "faces"  # face crops, by content hash
MODELS = "models"  # downloaded, checksummed ML models
INDEX = "index"  # search indexes
BACKUPS = "backups"  # catalog backups
SCAN_WORK = "scan-work"  # one folder per scan run's plan


@dataclass(frozen=True)
class Home:
    """Absolute folders of one MEDIA_PIPELINE_HOME."""

    root: Path

    @property
    def catalog_file(self) -> Path:
        return self.root / CATALOG_FILE

    @property
    def dagster(self) -> Path:
        return self.root / DAGSTER

    @property
    def models(self) -> Path:
        return self.root / MODELS

    @property
    def search_index(self) -> Path:
        """The CLIP search index the `search_index` asset writes and `search` reads."""
        return self.root / INDEX / "clip"

    @property
    def near_duplicates(self) -> Path:
        """What the `duplicates` asset compared so far (duplicates/compared.py)."""
        return self.root / INDEX / "duplicates" / "near.json"

    @property
    def backups(self) -> Path:
        return self.root / BACKUPS

    @property
    def scan_work(self) -> Path:
        return self.root / SCAN_WORK
