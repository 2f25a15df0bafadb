"""Shared fixtures: an isolated MEDIA_PIPELINE_HOME/DAGSTER_HOME per test and the real corpus."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.clip.conftest import tiny_clip_dir  # noqa: F401  (a fixture)
from media_pipeline_tests.corpus import CORPUS, IMMICH, REPO  # noqa: F401  (re-exported)
from media_pipeline_tests.postgres import postgres_database  # noqa: F401  (a fixture)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not IMMICH.is_dir():
        pytest.fail(f"the shared corpus is missing: expected {IMMICH}")
    return CORPUS


@pytest.fixture(autouse=True)
def clip_model(tiny_clip_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """Every test, and every process it starts, embeds with a tiny CLIP model made on disk
    (no model hub is reachable here): the same loading path as a user's local model."""
    monkeypatch.setenv("MEDIA_PIPELINE_CLIP_MODEL", str(tiny_clip_dir))
    return tiny_clip_dir


@pytest.fixture(autouse=True)
def ocr_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """OCR reads about a preview a second on these CPUs: only the tests that turn it back on
    (media_pipeline_tests/ocr) pay for it."""
    monkeypatch.setenv("MEDIA_PIPELINE_OCR", "off")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh MEDIA_PIPELINE_HOME (catalog, Dagster home) that only this test sees."""
    home = tmp_path / "home"
    monkeypatch.setenv("MEDIA_PIPELINE_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.delenv("MEDIA_PIPELINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MEDIA_PIPELINE_CELERY_BROKER", raising=False)  # the embedded default
    return home


@pytest.fixture
def immich_library(tmp_path: Path, corpus: Path) -> Path:
    """A copy of the Immich test assets: tests may add, change and delete files freely."""
    root = tmp_path / "photos"
    shutil.copytree(IMMICH, root, ignore=shutil.ignore_patterns("README.md"))
    for path in root.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return root


@pytest.fixture
def mp(home: Path) -> MediaPipeline:
    """The `media-pipeline` command, run in this process against this test's home."""
    return MediaPipeline()


@pytest.fixture
def instance(home: Path) -> Iterator:
    """The Dagster instance the CLI uses for this home (SQLite storage under DAGSTER_HOME)."""
    from media_pipeline.runtime.instance import get_instance

    with get_instance() as dagster_instance:
        yield dagster_instance
