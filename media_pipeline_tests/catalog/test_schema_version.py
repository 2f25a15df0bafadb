"""The catalog skips Alembic when its version table is at the newest revision, and only then."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from media_pipeline import settings
from media_pipeline.catalog.schema import VERSION_TABLE
from media_pipeline.catalog.schema_version import at_head, head_revision
from media_pipeline.catalog.store import MIGRATIONS, open_catalog


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_a_branching_history_leaves_the_decision_to_alembic(tmp_path: Path) -> None:
    branched, merged = tmp_path / "branched", tmp_path / "merged"
    for folder in (branched, merged):
        folder.mkdir()
        (folder / "a.py").write_text('revision = "a"\ndown_revision = None\n')
        (folder / "b.py").write_text('revision = "b"\ndown_revision = "a"\n')
        (folder / "c.py").write_text("revision = 'c'\ndown_revision = 'a'\n")
    (merged / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    assert head_revision(branched) is None
    assert head_revision(merged) == "d"


def test_a_catalog_behind_the_head_is_migrated(home: Path) -> None:
    catalog = open_catalog(settings.database_url())
    assert at_head(catalog.engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with catalog.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
    with catalog.engine.connect() as conn:
        stamped = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    assert stamped == "0009" and not at_head(catalog.engine)
    catalog.migrate()
    assert at_head(catalog.engine)


def test_a_new_postgresql_catalog_is_created_then_seen_at_head(postgres_database: str) -> None:
    """On PostgreSQL the missing version table is an error of its own connection only."""
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{postgres_database}"
    catalog = open_catalog(url)
    assert at_head(catalog.engine)
    catalog.add_library("photos", "/nowhere")
    catalog.engine.dispose()
