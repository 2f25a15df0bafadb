"""Fixtures for metadata tests: the shared corpus of real sample files."""

from __future__ import annotations

from pathlib import Path

import pytest

from media_pipeline_tests.metadata.samples import ASSETS


@pytest.fixture(scope="session")
def assets() -> Path:
    """immich-test-assets under ../shared/corpus (next to the repository)."""
    if not ASSETS.is_dir():
        pytest.skip(f"sample corpus not found at {ASSETS}")
    return ASSETS
