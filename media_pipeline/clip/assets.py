"""`clip_embeddings` per library, and the `search_index`.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
from pydantic import Field
from sqlalchemy import ColumnElement

from media_pipeline import settings
from media_pipeline.catalog.embeddings import STAGE, embedded, save_embeddings, vectors_of
from media_pipeline.catalog.integrity import embedded_keys
from media_pipeline.catalog.pending import PendingContent
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.store import Catalog
from media_pipeline.catalog.thumbnails import derivatives_of, has_preview, with_previews
from media_pipeline.clip.naming import stable_model_name
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.models.assets import clip_files, clip_model
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import COLLECTION_GROUP, LIBRARY_GROUP
from media_pipeline.runtime.inputs import inputs_digest, unchanged_metadata
from media_pipeline.runtime.kept import load_in_background
from media_pipeline.runtime.partitions import library_partitions
from media_pipeline.stages.graph import run_stage, stage_config
from media_pipeline.stages.runner import BatchConfig, Made, Stage, StageWork
from media_pipeline.thumbnails.assets import thumbnails

SAMPLE_HITS = 6
SAMPLE_QUERIES_SETTING = "MEDIA_PIPELINE_SAMPLE_QUERIES"


class SearchIndexConfig(dg.Config):
    """``sample_queries``: searches whose top hits the UI shows after each build (a check of
    the model at a glance); empty: MEDIA_PIPELINE_SAMPLE_QUERIES, queries separated by ";"."""

    sample_queries: list[str] = Field(default_factory=list)

    def queries(self) -> list[str]:
        raw = self.sample_queries or settings.get(SAMPLE_QUERIES_SETTING).split(";")
        return [query.strip() for query in raw if query.strip()]


class ClipConfig(BatchConfig):
    batch_size: int = 64  # images per model call, and per committed transaction
    workers: int = -1  # decode processes; -1 = a sensible number for the device
    device: str = "auto"  # "auto": CUDA (fp16) when available, else CPU


class _Embedding(StageWork):
    def __init__(self, store: Catalog, home: Path, model, config: ClipConfig) -> None:
        self.store, self.home, self.model, self.config = store, home, model, config
        self.info = {"model": model.model_name, "device": str(model.device)}

    def results(self, items: Iterator[PendingContent]) -> Iterator[tuple[PendingContent, object]]:
        from media_pipeline.clip.embed import embed_files

        jobs = with_previews(self.store, self.home, items)
        workers = None if self.config.workers < 0 else self.config.workers
        for pending, result in embed_files(self.model, jobs, self.config.batch_size, workers):
            if isinstance(result, Exception):
                yield pending, result
            else:
                yield pending, Made((pending.content_hash, result))

    def save(self, rows: Sequence[tuple[str, object]]) -> None:
        save_embeddings(self.store, self.model.model_name, rows)


def _clip_model_module():
    """media_pipeline.clip.model (torch), or a failure that says which extra to install."""
    try:
        from media_pipeline.clip import model
    except ImportError as exc:
        raise dg.Failure(
            f"CLIP needs the ml extra ({exc.name} is missing): pip install 'media_pipeline[ml]'"
        ) from exc
    return model


WARM_UP_THREAD = "clip-warm-up"


class ClipEmbeddings(Stage[ClipConfig]):
    name = "clip_embeddings"
    ledger = STAGE
    progress = "clip"
    config = ClipConfig
    done_key = "embedded"
    batch_files = 5000  # ~2 minutes on 2 CPU cores at 39 images/s; seconds on a GPU
    queue = "gpu"
    pool = "ml"
    # After the other stages' batches in a run in one process: torch and transformers load
    # (3-4 s on one core) while faces and text are read (warm_up).
    priority = -1

    def done(self, config: ClipConfig, paths: MediaPaths) -> ColumnElement[bool]:
        model_name = stable_model_name(clip_files(paths).path)
        return embedded(model_name) | ~has_preview()

    def warm_up(self, config: ClipConfig, paths: MediaPaths) -> str:
        folder = clip_files(paths).path
        load_in_background(
            WARM_UP_THREAD, lambda: _clip_model_module().kept_clip(folder, device=config.device)
        )
        return "loading the CLIP model in the background while other stages work"

    def open(self, context, config, paths, store) -> StageWork:
        model = _clip_model_module().kept_clip(clip_files(paths).path, device=config.device)
        return _Embedding(store, paths.root(), model, config)


CLIP_EMBEDDINGS = ClipEmbeddings()


@dg.graph_asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    ins={
        "thumbnails": dg.AssetIn(thumbnails.key, dagster_type=dg.Nothing),
        "clip_model": dg.AssetIn(clip_model.key, dagster_type=dg.Nothing),
    },
    config=stage_config(CLIP_EMBEDDINGS),
    kinds={"python", "pytorch"},
    automation_condition=dg.AutomationCondition.eager(),
    description="CLIP image embeddings of every previewed file (from the previews, never the "
    "originals), normalised, per model.",
)
def clip_embeddings(thumbnails, clip_model):
    return run_stage(CLIP_EMBEDDINGS, thumbnails, clip_model)


@dg.asset(
    deps=[clip_embeddings],
    group_name=COLLECTION_GROUP,
    kinds={"numpy"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Exact cosine-search index over the embeddings of present files (numpy).",
)
def search_index(
    context: dg.AssetExecutionContext,
    config: SearchIndexConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    from media_pipeline.clip.index import FORMAT, SearchIndex

    files = clip_files(paths)
    model_name = stable_model_name(files.path)
    target = paths.folders().search_index
    queries = config.queries()
    store = catalog.open()
    # A content's vector by a model never changes: the contents are the index's inputs.
    keys = sorted(embedded_keys(store, model_name))
    version = inputs_digest((FORMAT, model_name, *queries), [keys])
    kept = unchanged_metadata(context, version)
    if kept is not None and SearchIndex.complete(target):
        context.log.info(f"inputs unchanged: the index at {target} stands")
        return dg.MaterializeResult(metadata=kept, data_version=dg.DataVersion(version))
    index, read = SearchIndex.update(
        SearchIndex.previous(target, model_name),
        keys,
        lambda missing: vectors_of(store, model_name, missing),
        model_name=model_name,
    )
    index.save(target)
    context.log.info(f"indexed {len(index)} contents at {target} ({read} read from the catalog)")
    metadata: dict[str, dg.RawMetadataValue] = {
        "vectors": len(index),
        "vectors_read": read,
        "model": model_name,
        "path": str(target),
        "inputs_unchanged": False,
    }
    if queries and len(index):
        metadata["sample_queries"] = dg.MetadataValue.md(
            _sample_hits(catalog.open(), paths.root(), files.path, index, queries)
        )
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(version))


def _sample_hits(store, home: Path, model_path: Path, index, queries: list[str]) -> str:
    """Markdown: each sample query with a contact sheet of its top hits' thumbnails."""
    from media_pipeline.clip.model import kept_clip

    model = kept_clip(model_path)  # the model the embeddings step of this process loaded
    sections = []
    for query, vector in zip(queries, model.embed_text(queries), strict=True):
        thumbs = []
        for content_hash, _ in index.search(vector, SAMPLE_HITS):
            made = derivatives_of(store, content_hash)
            if made:
                thumbs.append(home / made["thumbnail_path"])
        sheet = contact_sheet(thumbs)
        if sheet is not None:
            sections.append(f"**{query}**\n\n{markdown_image(sheet, query)}")
    return "\n\n".join(sections) or "(no hits)"
