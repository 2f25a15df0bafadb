"""The catalog: one row per library, per media file and per unresolved failure."""

from media_pipeline.catalog.store import Catalog, open_catalog

__all__ = ["Catalog", "open_catalog"]
