"""The catalog as a Dagster resource: configuration only, the work is in store.py."""

from __future__ import annotations

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.store import Catalog, open_catalog


class CatalogResource(dg.ConfigurableResource):
    """Which catalog to use; empty means MEDIA_PIPELINE_DATABASE_URL or the SQLite default."""

    database_url: str = ""

    def open(self) -> Catalog:
        return open_catalog(self.database_url or settings.database_url())
