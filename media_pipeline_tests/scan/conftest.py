from __future__ import annotations

from pathlib import Path

import pytest

from media_pipeline import settings
from media_pipeline.catalog.failures import list_errors
from media_pipeline.catalog.store import Catalog, Library, open_catalog
from media_pipeline.scan.scanner import ScanCounts, ScanSettings, scan_library

CHUNK_FILES = 2


class LibraryUnderTest:
    def __init__(self, catalog: Catalog, library: Library) -> None:
        self.catalog = catalog
        self.library = library
        self.root = Path(library.root)

    def scan(self, **overrides) -> ScanCounts:
        """A scan in chunks of 2 files (unless told otherwise), so every test also crosses the
        boundaries of the asset's batch steps: moves, copies and pairs across chunks."""
        settings = ScanSettings(**{"chunk_files": CHUNK_FILES, **overrides})
        return scan_library(self.catalog, self.library, settings)

    def rows(self) -> dict[str, tuple[int, str]]:
        """rel_path -> (id, status) of every catalogued file."""
        with self.catalog.engine.connect() as conn:
            from sqlalchemy import select

            from media_pipeline.catalog.schema import media_files

            result = conn.execute(
                select(media_files.c.rel_path, media_files.c.id, media_files.c.status).where(
                    media_files.c.library_id == self.library.id
                )
            )
            return {path: (file_id, status) for path, file_id, status in result}

    def errors(self) -> dict[str, str]:
        return {row["rel_path"]: row["error"] for row in list_errors(self.catalog)}


@pytest.fixture
def library(home: Path, tmp_path: Path) -> LibraryUnderTest:
    root = tmp_path / "library"
    root.mkdir()
    catalog = open_catalog(settings.database_url())
    return LibraryUnderTest(catalog, catalog.add_library("test", str(root)))
