"""The text people wrote on their photos (caption, keywords), matched by `search`.

Keywords are a JSON list, stored unescaped (see ``open_catalog``), so a substring match of its
text finds "Köln" as typed.
"""

from __future__ import annotations

from sqlalchemy import String, and_, cast, func, or_, select

from media_pipeline.catalog.live import standalone
from media_pipeline.catalog.schema import libraries, media_files
from media_pipeline.catalog.store import Catalog, file_path


def caption_matches(catalog: Catalog, query: str, limit: int) -> list[str]:
    """Present files whose caption or a keyword contains `query` (any case), oldest first."""
    words = query.strip().lower()
    if not words:
        return []
    matched = or_(
        func.lower(media_files.c.description).contains(words, autoescape=True),
        func.lower(cast(media_files.c.keywords, String)).contains(words, autoescape=True),
    )
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(libraries.c.root, media_files.c.rel_path)
            .join(libraries, libraries.c.id == media_files.c.library_id)
            .where(and_(media_files.c.status == "present", standalone(), matched))
            .order_by(media_files.c.taken_at_utc, media_files.c.id)
            .limit(limit)
        ).all()
    return [file_path(root, rel_path) for root, rel_path in rows]
