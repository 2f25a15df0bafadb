"""`exact_duplicates` (same content: content hashes alone, no model) and `duplicates` (near:
CLIP + perceptual hash), so a model that cannot be had never hides the exact copies.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

from pathlib import Path

import dagster as dg

from media_pipeline.catalog.duplicates import (
    GroupOfFiles,
    duplicate_candidates,
    replace_duplicates,
)
from media_pipeline.catalog.embeddings import iter_embeddings
from media_pipeline.catalog.integrity import embedded_keys
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.store import Catalog, file_path
from media_pipeline.clip.assets import search_index
from media_pipeline.duplicates.compared import load_compared, save_compared
from media_pipeline.duplicates.find import (
    DEFAULT_MAX_DISTANCE,
    DEFAULT_THRESHOLD,
    Group,
    Item,
    exact_groups,
    search_near,
)
from media_pipeline.models.assets import clip_files
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import COLLECTION_GROUP
from media_pipeline.runtime.inputs import inputs_digest, unchanged_metadata
from media_pipeline.runtime.retries import retry_transient
from media_pipeline.scan.assets import media_catalog

NEAR_ALGORITHM = 1  # near_groups' version: another one regroups even when no input changed


class DuplicateConfig(dg.Config):
    threshold: float = DEFAULT_THRESHOLD  # CLIP cosine for near-duplicate candidates
    max_distance: int = DEFAULT_MAX_DISTANCE  # perceptual-hash bits that may differ


def _items(candidates: list, home: Path, vectors: dict | None = None) -> list[Item]:
    """The candidate rows as duplicate candidates (with their vectors when given). Rows are
    unpacked in ``duplicate_candidates``' column order and paths joined as strings: a Row's
    attributes cost 0.25 s at 100,000 photos, a Path per row 0.8 s."""
    root = str(home)
    return [
        Item(
            key=file_id,
            content_hash=content_hash,
            path=file_path(library_root, rel_path),
            width=width,
            height=height,
            # UTC when known, else the local time: a file without a zone still has a date.
            taken_at=taken_at_utc or taken_at,
            mime=mime,
            size=size,
            vector=vectors.get(content_hash) if vectors else None,
            image=file_path(root, thumbnail_path) if thumbnail_path else None,
        )
        for (
            file_id,
            content_hash,
            library_root,
            rel_path,
            width,
            height,
            taken_at_utc,
            taken_at,
            mime,
            size,
            thumbnail_path,
        ) in candidates
    ]


def _vectors(paths: MediaPaths, store: Catalog, model: str, keys: list[str]) -> dict:
    """Content -> vector: from the search index this asset follows when it holds exactly
    these contents (memory-mapped, read once), else from the catalog."""
    import numpy as np

    from media_pipeline.clip.index import SearchIndex

    index = SearchIndex.previous(paths.folders().search_index, model)
    if index is not None and index.keys == keys:
        return dict(zip(keys, np.asarray(index.vectors), strict=True))
    return dict(iter_embeddings(store, model))


def _save(store: Catalog, kind: str, groups: list[Group]) -> dict[str, int]:
    """Replace the groups of ``kind``; their counts for the materialization."""
    replace_duplicates(
        store,
        kind,
        [
            GroupOfFiles(group.similarity, [item.key for item in group.items], group.keeper.key)
            for group in groups
        ],
    )
    return {"groups": len(groups), "files_in_groups": sum(len(g.items) for g in groups)}


@dg.asset(
    deps=[media_catalog],
    group_name=COLLECTION_GROUP,
    kinds={"python"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Byte-identical copies across libraries (same content hash; no model needed), "
    "each group with a suggested keeper.",
)
def exact_duplicates(
    context: dg.AssetExecutionContext, catalog: CatalogResource, paths: MediaPaths
) -> dg.MaterializeResult:
    with retry_transient(context):
        store = catalog.open()
        copies = duplicate_candidates(store, copies_only=True)
        counts = _save(store, "exact", exact_groups(_items(copies, paths.root())))
    context.log.info(f"{counts['groups']} groups of identical files")
    return dg.MaterializeResult(metadata=counts)


@dg.asset(
    deps=[search_index],
    group_name=COLLECTION_GROUP,
    kinds={"python"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Near duplicates across libraries (re-encoded, resized or converted copies: "
    "CLIP cosine confirmed by a perceptual hash), one file per content, with a keeper; new "
    "photos are compared with all the others, the rest as the last run found them.",
)
def duplicates(
    context: dg.AssetExecutionContext,
    config: DuplicateConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    from media_pipeline.clip.naming import stable_model_name

    with retry_transient(context):
        store = catalog.open()
        model = stable_model_name(clip_files(paths).path)
        candidates = duplicate_candidates(store)
        fingerprint = (NEAR_ALGORITHM, model, config.threshold, config.max_distance)
        keys = sorted(embedded_keys(store, model))
        version = inputs_digest(fingerprint, [*candidates, keys])
        kept = unchanged_metadata(context, version)
        if kept is not None:
            context.log.info(f"inputs unchanged: the {kept['groups'].value} groups stand")
            return dg.MaterializeResult(metadata=kept, data_version=dg.DataVersion(version))
        items = _items(candidates, paths.root(), _vectors(paths, store, model, keys))
        compared_file = paths.folders().near_duplicates
        search = search_near(
            items,
            config.threshold,
            config.max_distance,
            known=load_compared(compared_file, fingerprint),
        )
        counts = _save(store, "near", search.groups)
        save_compared(compared_file, fingerprint, search.compared)  # after the groups: both
        # are made from contents alone, so an older file is still right, only slower
    context.log.info(
        f"{counts['groups']} groups of near duplicates "
        f"({search.new_contents} new photos compared with all the others)"
    )
    return dg.MaterializeResult(
        metadata={**counts, "compared_new": search.new_contents, "inputs_unchanged": False},
        data_version=dg.DataVersion(version),
    )
