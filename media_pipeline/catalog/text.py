"""Catalog queries of recognised text: what still needs reading, the lines read, and the
word search `media-pipeline search` adds to CLIP's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, select

from media_pipeline.catalog.schema import media_files, photo_text
from media_pipeline.catalog.store import Catalog, utcnow
from media_pipeline.photo import TextLine, fold

STAGE = "ocr"


def read_by(model: str) -> ColumnElement[bool]:
    """A file's content was already read by this OCR model (with or without text found)."""
    return exists().where(
        photo_text.c.content_hash == media_files.c.content_hash, photo_text.c.model == model
    )


def save_text(catalog: Catalog, model: str, made: Sequence[tuple[str, list[TextLine]]]) -> None:
    """One row per content, also when no text was found (so it is not read again)."""
    if not made:
        return
    now = utcnow()
    rows = []
    for content_hash, lines in made:
        text = "\n".join(line.text for line in lines)
        rows.append(
            {
                "content_hash": content_hash,
                "model": model,
                "text": text,
                "search_text": fold(text),
                "lines": json.dumps([line.as_dict() for line in lines], ensure_ascii=False),
                "created_at": now,
            }
        )
    with catalog.transaction() as writer:
        statement = writer.insert(photo_text)
        statement = statement.on_conflict_do_update(
            index_elements=["content_hash", "model"],
            set_={
                name: statement.excluded[name]
                for name in ("text", "search_text", "lines", "created_at")
            },
        )
        writer.conn.execute(statement, rows)


def text_of(catalog: Catalog, content_hash: str) -> dict[str, Any] | None:
    """The newest reading of a content: its text and lines (None before OCR ran)."""
    with catalog.engine.connect() as conn:
        row = conn.execute(
            select(photo_text.c.text, photo_text.c.lines, photo_text.c.model)
            .where(photo_text.c.content_hash == content_hash)
            .order_by(photo_text.c.created_at.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    return {"text": row.text, "lines": json.loads(row.lines), "model": row.model}


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_text(catalog: Catalog, query: str, limit: int) -> list[tuple[str, str]]:
    """(content hash, matching line) of present contents whose text holds every word of
    ``query`` (folded; substrings, so words in scripts without spaces match too)."""
    words = fold(query).split()
    if not words:
        return []
    present = exists().where(
        media_files.c.content_hash == photo_text.c.content_hash,
        media_files.c.status == "present",
    )
    conditions = [photo_text.c.search_text.like(_like(word), escape="\\") for word in words]
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(photo_text.c.content_hash, photo_text.c.text)
            .where(present, *conditions)
            .order_by(photo_text.c.content_hash)
            .limit(limit * 4)
        ).all()
    found: dict[str, str] = {}
    for content_hash, text in rows:
        lines = text.split("\n")
        best = next((ln for ln in lines if words[0] in fold(ln)), lines[0])
        found.setdefault(content_hash, best)
    return list(found.items())[:limit]
