"""`clip_embeddings` per library, and the `search_index`.

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field

from media_pipeline import settings
from media_pipeline.catalog.embeddings import (
    STAGE,
    embedded,
    iter_embeddings,
    preview_paths,
    save_embeddings,
)
from media_pipeline.catalog.pending import (
    PendingContent,
    count_pending,
    in_pages,
    iter_pending,
)
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.stage_batch import StageBatch
from media_pipeline.catalog.thumbnails import derivatives_of, has_preview
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.jobs.partitions import library_partitions, partition_library
from media_pipeline.jobs.progress import format_progress
from media_pipeline.jobs.retries import retry_transient
from media_pipeline.models.assets import clip_files, clip_model
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import COLLECTION_GROUP, LIBRARY_GROUP
from media_pipeline.thumbnails.assets import thumbnails

INDEX_FOLDER = "index"
SAMPLE_HITS = 6
SAMPLE_QUERIES_SETTING = "MEDIA_PIPELINE_SAMPLE_QUERIES"


class SearchIndexConfig(dg.Config):
    """``sample_queries``: searches whose top hits the UI shows after each build (a check of
    the model at a glance); empty: MEDIA_PIPELINE_SAMPLE_QUERIES, queries separated by ";"."""

    sample_queries: list[str] = Field(default_factory=list)

    def queries(self) -> list[str]:
        raw = self.sample_queries or settings.get(SAMPLE_QUERIES_SETTING).split(";")
        return [query.strip() for query in raw if query.strip()]


class ClipConfig(dg.Config):
    batch_size: int = 64
    workers: int = -1  # decode processes; -1 = a sensible number for the device
    device: str = "auto"  # "auto": CUDA (fp16) when available, else CPU


def _with_previews(
    store, home: Path, pending: Iterator[PendingContent], page: int = 500
) -> Iterator[tuple[PendingContent, Path]]:
    """Pair each pending content with its preview file, one catalog query per page."""
    for chunk in in_pages(pending, page):
        previews = preview_paths(store, [item.content_hash for item in chunk])
        for item in chunk:
            yield item, home / previews[item.content_hash]


@dg.asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    deps=[thumbnails, clip_model],
    kinds={"python", "pytorch"},
    pool="ml",
    automation_condition=dg.AutomationCondition.eager(),
    description="CLIP image embeddings of every previewed file (from the previews, never the "
    "originals), normalised, per model.",
)
def clip_embeddings(
    context: dg.AssetExecutionContext,
    config: ClipConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    try:
        from media_pipeline.clip.embed import embed_files
        from media_pipeline.clip.model import load_clip
    except ImportError as exc:
        raise dg.Failure(
            f"CLIP needs the ml extra ({exc.name} is missing): pip install 'media_pipeline[ml]'"
        ) from exc

    files = clip_files(paths)
    model = load_clip(files.path, device=config.device)
    home = paths.root()
    made = failed = 0
    started = last_report = time.monotonic()
    with retry_transient(context):
        store = catalog.open()
        library = partition_library(context, store)
        done = embedded(model.model_name) | ~has_preview()
        total = count_pending(store, library, STAGE, done)
        context.log.info(f"{total} contents to embed with {model}")
        batch = StageBatch(
            store, library, STAGE, lambda made: save_embeddings(store, model.model_name, made),
            config.batch_size,
        )  # fmt: skip
        jobs = _with_previews(store, home, iter_pending(store, library, STAGE, done))
        workers = None if config.workers < 0 else config.workers
        try:
            for pending, result in embed_files(model, jobs, config.batch_size, workers):
                if isinstance(result, Exception):
                    batch.failed(pending, str(result))
                    failed += 1
                else:
                    batch.done(pending, (pending.content_hash, result))
                    made += 1
                now = time.monotonic()
                if now - last_report >= 2.0:
                    context.log.info(format_progress("clip", made + failed, total, now - started))
                    last_report = now
        finally:
            batch.flush()
    seconds = time.monotonic() - started
    return dg.MaterializeResult(
        metadata={
            "library": library.name,
            "model": model.model_name,
            "embedded": made,
            "failed": failed,
            "seconds": round(seconds, 3),
            "images_per_second": round(made / seconds, 2) if seconds > 0 else 0.0,
            "device": str(model.device),
        }
    )


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
    from media_pipeline.clip.index import SearchIndex
    from media_pipeline.clip.model import stable_model_name

    files = clip_files(paths)
    model_name = stable_model_name(files.path)
    keys, vectors = [], []
    for content_hash, vector in iter_embeddings(catalog.open(), model_name):
        keys.append(content_hash)
        vectors.append(vector)
    index = SearchIndex.build(keys, vectors, model_name=model_name)
    target = paths.root() / INDEX_FOLDER / "clip"
    index.save(target)
    context.log.info(f"indexed {len(keys)} contents at {target}")
    metadata: dict[str, dg.RawMetadataValue] = {
        "vectors": len(keys),
        "model": model_name,
        "path": str(target),
    }
    queries = config.queries()
    if queries and len(index):
        metadata["sample_queries"] = dg.MetadataValue.md(
            _sample_hits(catalog.open(), paths.root(), files.path, index, queries)
        )
    return dg.MaterializeResult(metadata=metadata)


def _sample_hits(store, home: Path, model_path: Path, index, queries: list[str]) -> str:
    """Markdown: each sample query with a contact sheet of its top hits' thumbnails."""
    from media_pipeline.clip.model import load_clip

    model = load_clip(model_path)
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
