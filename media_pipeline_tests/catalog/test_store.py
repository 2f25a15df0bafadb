from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from media_pipeline import settings
from media_pipeline.catalog.failures import FileFailure, list_errors, record_errors, resolve_errors
from media_pipeline.catalog.store import FileVersion, open_catalog


@pytest.fixture
def catalog(home: Path):
    return open_catalog(settings.database_url())


def test_migrations_create_the_schema(catalog) -> None:
    tables = set(inspect(catalog.engine).get_table_names())
    assert {
        "libraries",
        "media_files",
        "processing_errors",
        "media_pipeline_schema_version",
    } <= tables
    catalog.migrate()  # a second run is a no-op


def test_libraries_are_unique_by_name_and_folder(catalog, tmp_path: Path) -> None:
    first = catalog.add_library("photos", str(tmp_path))
    assert catalog.add_library("photos", str(tmp_path)) == first
    with pytest.raises(ValueError, match="already exists"):
        catalog.add_library("photos", str(tmp_path / "elsewhere"))
    with pytest.raises(ValueError, match="already library 'photos'"):
        catalog.add_library("other", str(tmp_path))


def test_locate_prefers_the_innermost_library(catalog, tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    catalog.add_library("outer", str(tmp_path))
    catalog.add_library("inner", str(tmp_path / "inner"))
    library, rel = catalog.locate(str(tmp_path / "inner" / "a" / "b.jpg"))
    assert (library.name, rel) == ("inner", "a/b.jpg")
    assert catalog.locate(str(tmp_path.parent / "x.jpg")) is None
    assert catalog.locate(str(tmp_path) + "-sibling/x.jpg") is None


def test_upsert_is_idempotent_and_errors_count_attempts(catalog, tmp_path: Path) -> None:
    library = catalog.add_library("photos", str(tmp_path))
    for mtime in (1, 2):
        with catalog.transaction() as writer:
            version = FileVersion("a/b.jpg", 10, mtime, "ab" * 16, 1, {"kind": "image", "width": 3})
            writer.upsert_files(library.id, [version])
            record_errors(
                writer, library.id, [FileFailure("bad.jpg", "scan", f"broken {mtime}", size=1)]
            )
    known = catalog.files_in_dir(library.id, "a")
    assert list(known) == ["a/b.jpg"] and known["a/b.jpg"].mtime_ns == 2
    assert catalog.file_record(library, "a/b.jpg")["id"] == known["a/b.jpg"].id
    [error] = list_errors(catalog)
    assert (error["error"], error["attempts"]) == ("broken 2", 2)
    with catalog.transaction() as writer:
        resolve_errors(writer, library.id, "scan", ["bad.jpg"])
    assert list_errors(catalog) == []
    assert len(list_errors(catalog, include_resolved=True)) == 1


def test_what_a_stage_has_to_do_is_read_from_the_index_alone(catalog, tmp_path: Path) -> None:
    """Every stage counts and pages its pending contents in every run: from the index, in
    content order, never through the rows (3x slower at 100,000 files)."""
    from sqlalchemy import exists, func, select

    from media_pipeline.catalog.pending import HashRange, _query
    from media_pipeline.catalog.schema import media_files, thumbnails

    catalog.add_library("photos", str(tmp_path))
    library = catalog.library("photos")
    done = exists().where(thumbnails.c.content_hash == media_files.c.content_hash)
    count = select(func.count()).select_from(_query(library, "thumbnails", done).subquery())
    page = (
        _query(library, "thumbnails", done, HashRange(after="ab"))
        .order_by(media_files.c.content_hash)
        .limit(500)
    )
    with catalog.engine.connect() as conn:
        for query in (count, page):
            sql = str(query.compile(catalog.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "media_files USING COVERING INDEX ix_media_files_pending" in plan
            assert "TEMP B-TREE" not in plan
