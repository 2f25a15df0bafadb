"""`photo_text` as the three declarations of a per-file stage: what is pending, what one
item does, and what is saved. The asset only loops over them (so a shared stage runner can
take the stage as it is)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement

from media_pipeline.catalog.embeddings import preview_paths
from media_pipeline.catalog.pending import PendingContent, in_pages, iter_pending
from media_pipeline.catalog.store import Catalog, Library
from media_pipeline.catalog.text import STAGE, read_by, save_text
from media_pipeline.catalog.thumbnails import has_preview
from media_pipeline.ocr.read import OcrModel, TextLine, read_text

Item = tuple[PendingContent, Path]
Result = tuple[str, list[TextLine]]


@dataclass
class TextStage:
    model: OcrModel
    home: Path  # MEDIA_PIPELINE_HOME, where the previews are
    min_score: float = 0.5
    stage: str = STAGE

    def done(self) -> ColumnElement[bool]:
        """Read by this model already, or no preview to read yet (thumbnails come first)."""
        return read_by(self.model.name) | ~has_preview()

    def pending(self, store: Catalog, library: Library) -> Iterator[Item]:
        """Each pending content with its preview, one catalog query per page."""
        for page in in_pages(iter_pending(store, library, self.stage, self.done()), 500):
            previews = preview_paths(store, [item.content_hash for item in page])
            for item in page:
                yield item, self.home / previews[item.content_hash]

    def process(self, item: Item) -> Result:
        pending, preview = item
        return pending.content_hash, read_text(self.model, preview, self.min_score)

    def save(self, store: Catalog, made: Sequence[Result]) -> None:
        save_text(store, self.model.name, made)
