"""The Dagster instance the CLI and tests use: DAGSTER_HOME with this project's dagster.yaml."""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

import dagster as dg

from media_pipeline import settings


def _template() -> Path:
    """The repository's dagster.yaml in a checkout, or the copy packed into the wheel."""
    in_checkout = Path(__file__).resolve().parents[2] / "dagster.yaml"
    if in_checkout.is_file():
        return in_checkout
    return Path(str(resources.files("media_pipeline.runtime") / "dagster.yaml"))


def ensure_dagster_home() -> Path:
    """Set DAGSTER_HOME (default $MEDIA_PIPELINE_HOME/dagster) and give it a dagster.yaml."""
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(_template(), config)
    return home


def get_instance() -> dg.DagsterInstance:
    ensure_dagster_home()
    return dg.DagsterInstance.get()
