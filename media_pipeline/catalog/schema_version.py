"""Is the catalog already at the newest schema? Answered without importing Alembic.

Loading Alembic and its environment costs about 0.25 s, on every open of the catalog by every
command; once the schema is current a read of the version table says so in milliseconds.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from media_pipeline.catalog.schema import VERSION_TABLE

VERSIONS = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(.+)$", re.MULTILINE)
_IDS = re.compile(r"['\"]([^'\"]+)['\"]")


@cache
def head_revision(folder: Path = VERSIONS) -> str | None:
    """The one revision no migration revises; None when the scripts branch (Alembic decides)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in folder.glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            ids = set(_IDS.findall(value))
            (revisions if name == "revision" else revised).update(ids)
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """The version table holds exactly the newest revision (a missing table: not at head)."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            stamped = {row[0] for row in rows}
    except DBAPIError:  # no catalog yet
        return False
    return stamped == {head}
