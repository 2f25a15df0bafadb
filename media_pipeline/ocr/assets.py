"""`photo_text` per library: text recognised in the previews, a stage of the one runner
(batch steps in pool `ml`).

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import ColumnElement

from media_pipeline import settings
from media_pipeline.catalog.pending import PendingContent
from media_pipeline.catalog.store import Catalog
from media_pipeline.catalog.text import STAGE, read_by, save_text, text_of
from media_pipeline.catalog.thumbnails import derivatives_of, has_preview, with_previews
from media_pipeline.contact_sheet import contact_sheet, markdown_image
from media_pipeline.ocr.read import kept_ocr, model_name
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.runtime.kept import load_in_background
from media_pipeline.runtime.partitions import library_partitions
from media_pipeline.stages.graph import run_stage, stage_config
from media_pipeline.stages.runner import BatchConfig, BatchSummary, Made, Stage, StageWork
from media_pipeline.thumbnails.assets import thumbnails

# OCR reads about one preview a second per CPU: a user may switch it off (on by default).
OCR_SETTING = "MEDIA_PIPELINE_OCR"
SAMPLES = 4  # photos the UI shows with their text


def ocr_enabled() -> bool:
    value = (settings.get(OCR_SETTING) or "on").strip().lower()
    if value not in ("on", "off", "1", "0", "true", "false"):
        raise ValueError(f"{OCR_SETTING} must be on or off, got {value!r}")
    return value in ("on", "1", "true")


class TextConfig(BatchConfig):
    batch_size: int = 20
    min_score: float = 0.5  # recognition confidence a line needs
    device: str = "auto"  # "auto": CUDA when onnxruntime-gpu has it, else CPU
    threads: int = -1  # ONNX Runtime threads per model; -1: its default (all cores)


def _missing_extra(exc: ImportError) -> dg.Failure:
    return dg.Failure(
        f"OCR needs the ml extra ({exc.name} is missing): pip install 'media_pipeline[ml]'"
    )


class _Reading(StageWork):
    def __init__(self, store: Catalog, home: Path, model, config: TextConfig) -> None:
        self.store, self.home, self.model, self.min_score = store, home, model, config.min_score
        self.info = {"model": model.name, "device": model.device}

    def results(self, items: Iterator[PendingContent]) -> Iterator[tuple[PendingContent, Any]]:
        from media_pipeline.ocr.read import read_text

        for pending, preview in with_previews(self.store, self.home, items):
            try:
                lines = read_text(self.model, preview, self.min_score)
            except Exception as exc:  # a bad preview fails its file, not the batch
                yield pending, exc
            else:
                found = [pending.content_hash] if lines else []
                yield pending, Made((pending.content_hash, lines), {"with_text": len(found)}, found)

    def save(self, rows: Sequence[tuple[str, list]]) -> None:
        save_text(self.store, self.model.name, rows)


class PhotoText(Stage[TextConfig]):
    name = "photo_text"
    ledger = STAGE
    progress = "ocr"
    config = TextConfig
    done_key = "read"
    rate_key = "photos_per_second"
    batch_files = 200  # ~3 minutes at about one preview a second per core
    queue = "gpu"
    pool = "ml"
    counters = ("with_text",)

    def skip(self) -> str | None:
        return None if ocr_enabled() else f"OCR is off ({OCR_SETTING}=off)"

    def message(self, error: BaseException) -> str:
        if isinstance(error, OSError):
            return f"cannot read the preview: {error}"
        return f"OCR failed: {type(error).__name__}: {error}"

    def done(self, config: TextConfig, paths: MediaPaths) -> ColumnElement[bool]:
        """Read by this model already, or no preview to read yet (thumbnails come first)."""
        return read_by(model_name()) | ~has_preview()

    def warm_up(self, config: TextConfig, paths: MediaPaths) -> str:
        load_in_background("ocr-warm-up", lambda: kept_ocr(config.device, config.threads))
        return "loading the OCR models in the background while other stages work"

    def open(self, context, config, paths, store) -> StageWork:
        try:
            model = kept_ocr(config.device, config.threads)
        except ImportError as exc:
            raise _missing_extra(exc) from exc
        context.log.info(f"reading text with {model.name} on {model.device}")
        return _Reading(store, paths.root(), model, config)

    def describe(
        self,
        config: TextConfig,
        metadata: dict[str, Any],
        summaries: Sequence[BatchSummary],
        store: Catalog,
        home: Path,
    ) -> dict[str, Any]:
        """A few photos' thumbnails, each with the text read in it."""
        if not ocr_enabled():
            return {"enabled": False}
        sections = []
        for content_hash in [h for s in summaries for h in s.samples][:SAMPLES]:
            made, read = derivatives_of(store, content_hash), text_of(store, content_hash)
            sheet = contact_sheet([home / made["thumbnail_path"]]) if made else None
            if sheet is not None and read is not None:
                text = " / ".join(read["text"].split("\n")[:12])
                sections.append(f"{markdown_image(sheet, content_hash)}\n\n{text}")
        return {"samples": dg.MetadataValue.md("\n\n".join(sections) or "(no text found)")}


PHOTO_TEXT = PhotoText()


@dg.graph_asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    ins={"thumbnails": dg.AssetIn(thumbnails.key, dagster_type=dg.Nothing)},
    config=stage_config(PHOTO_TEXT),
    kinds={"python", "onnx"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Text in photos (PP-OCR through RapidOCR on ONNX Runtime), read from the "
    "previews: lines with boxes and confidence, per content and model.",
)
def photo_text(thumbnails):
    return run_stage(PHOTO_TEXT, thumbnails)
