"""`photo_text` per library: text recognised in the previews (pool `ml`).

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import time

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.pending import count_pending
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.stage_batch import StageBatch
from media_pipeline.catalog.thumbnails import derivatives_of
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.jobs.partitions import library_partitions, partition_library
from media_pipeline.jobs.progress import format_progress
from media_pipeline.jobs.retries import retry_transient
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.thumbnails.assets import thumbnails

# OCR reads about one preview a second per CPU: a user may switch it off (on by default).
OCR_SETTING = "MEDIA_PIPELINE_OCR"
SAMPLES = 4  # photos the UI shows with their text


def ocr_enabled() -> bool:
    value = (settings.get(OCR_SETTING) or "on").strip().lower()
    if value not in ("on", "off", "1", "0", "true", "false"):
        raise ValueError(f"{OCR_SETTING} must be on or off, got {value!r}")
    return value in ("on", "1", "true")


class TextConfig(dg.Config):
    batch_size: int = 20
    min_score: float = 0.5  # recognition confidence a line needs
    device: str = "auto"  # "auto": CUDA when onnxruntime-gpu has it, else CPU
    threads: int = -1  # ONNX Runtime threads per model; -1: its default (all cores)


def _failure(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read the preview: {exc}"
    return f"OCR failed: {type(exc).__name__}: {exc}"


def _samples(store, home, read: list) -> str:
    """Markdown: a few photos' thumbnails each with the text read in it."""
    sections = []
    for content_hash, lines in read[:SAMPLES]:
        made = derivatives_of(store, content_hash)
        sheet = contact_sheet([home / made["thumbnail_path"]]) if made else None
        if sheet is not None:
            text = " / ".join(line.text for line in lines[:12])
            sections.append(f"{markdown_image(sheet, content_hash)}\n\n{text}")
    return "\n\n".join(sections) or "(no text found)"


@dg.asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    deps=[thumbnails],
    kinds={"python", "onnx"},
    pool="ml",
    automation_condition=dg.AutomationCondition.eager(),
    description="Text in photos (PP-OCR through RapidOCR on ONNX Runtime), read from the "
    "previews: lines with boxes and confidence, per content and model.",
)
def photo_text(
    context: dg.AssetExecutionContext,
    config: TextConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    if not ocr_enabled():
        context.log.info(f"OCR is off ({OCR_SETTING}=off)")
        return dg.MaterializeResult(metadata={"enabled": False, "read": 0})
    from media_pipeline.ocr.read import load_ocr
    from media_pipeline.ocr.stage import TextStage

    try:
        model = load_ocr(config.device, config.threads)
    except ImportError as exc:
        raise dg.Failure(
            f"OCR needs the ml extra ({exc.name} is missing): pip install 'media_pipeline[ml]'"
        ) from exc
    home = paths.root()
    stage = TextStage(model, home, config.min_score)
    read = failed = with_text = 0
    sample: list = []
    started = last_report = time.monotonic()
    with retry_transient(context):
        store = catalog.open()
        library = partition_library(context, store)
        total = count_pending(store, library, stage.stage, stage.done())
        context.log.info(f"{total} contents to read with {model.name} on {model.device}")
        batch = StageBatch(
            store, library, stage.stage, lambda made: stage.save(store, made), config.batch_size
        )
        try:
            for item in stage.pending(store, library):
                try:
                    result = stage.process(item)
                except Exception as exc:  # a bad preview fails its file, not the run
                    batch.failed(item[0], _failure(exc))
                    failed += 1
                else:
                    batch.done(item[0], result)
                    read += 1
                    if result[1]:
                        with_text += 1
                        if len(sample) < SAMPLES:
                            sample.append(result)
                now = time.monotonic()
                if now - last_report >= 2.0:
                    context.log.info(format_progress("ocr", read + failed, total, now - started))
                    last_report = now
        finally:
            batch.flush()
    seconds = time.monotonic() - started
    return dg.MaterializeResult(
        metadata={
            "library": library.name,
            "model": model.name,
            "device": model.device,
            "read": read,
            "with_text": with_text,
            "failed": failed,
            "seconds": round(seconds, 3),
            "photos_per_second": round(read / seconds, 2) if seconds > 0 else 0.0,
            "samples": dg.MetadataValue.md(_samples(store, home, sample)),
        }
    )
