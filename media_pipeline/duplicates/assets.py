"""`duplicates`: exact (same content) and near (CLIP + perceptual hash) duplicate groups.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import dagster as dg

from media_pipeline.catalog.embeddings import (
    duplicate_candidates,
    iter_embeddings,
    replace_duplicates,
)
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.store import file_path
from media_pipeline.clip.assets import search_index
from media_pipeline.duplicates.find import DEFAULT_MAX_DISTANCE, DEFAULT_THRESHOLD, Item
from media_pipeline.jobs.retries import retry_transient
from media_pipeline.models.assets import clip_files
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import COLLECTION_GROUP


class DuplicateConfig(dg.Config):
    threshold: float = DEFAULT_THRESHOLD  # CLIP cosine for near-duplicate candidates
    max_distance: int = DEFAULT_MAX_DISTANCE  # perceptual-hash bits that may differ


@dg.asset(
    deps=[search_index],
    group_name=COLLECTION_GROUP,
    kinds={"python"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Groups of duplicate files across libraries, each with a suggested keeper.",
)
def duplicates(
    context: dg.AssetExecutionContext,
    config: DuplicateConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    from media_pipeline.clip.model import stable_model_name
    from media_pipeline.duplicates.find import find_duplicates

    home = paths.root()
    with retry_transient(context):
        store = catalog.open()
        vectors = dict(iter_embeddings(store, stable_model_name(clip_files(paths).path)))
        items = [
            Item(
                key=row.id,
                content_hash=row.content_hash,
                path=file_path(row.root, row.rel_path),
                width=row.width,
                height=row.height,
                # UTC when known, else the local time: a file without a zone still has a date.
                taken_at=row.taken_at_utc or row.taken_at,
                mime=row.mime,
                size=row.size,
                vector=vectors.get(row.content_hash),
                image=home / row.thumbnail_path if row.thumbnail_path else None,
            )
            for row in duplicate_candidates(store)
        ]
        groups = find_duplicates(items, config.threshold, config.max_distance)
        replace_duplicates(
            store,
            [
                {
                    "kind": group.kind,
                    "similarity": group.similarity,
                    "files": [item.key for item in group.items],
                    "keeper": group.keeper.key,
                }
                for group in groups
            ],
        )
    exact = sum(1 for group in groups if group.kind == "exact")
    context.log.info(f"{len(groups)} duplicate groups: {exact} exact, {len(groups) - exact} near")
    return dg.MaterializeResult(
        metadata={
            "groups": len(groups),
            "exact": exact,
            "near": len(groups) - exact,
            "files_in_groups": sum(len(group.items) for group in groups),
        }
    )
