"""The catalog every command reads and writes: the one MEDIA_PIPELINE_DATABASE_URL names."""

from __future__ import annotations

from media_pipeline import settings
from media_pipeline.catalog.store import Catalog, open_catalog


def catalog() -> Catalog:
    return open_catalog(settings.database_url())
