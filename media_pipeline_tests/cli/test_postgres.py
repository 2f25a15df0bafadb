"""The same scan with the catalog AND Dagster's storage on PostgreSQL (deploy/postgres)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import create_engine, text

from media_pipeline.jobs.instance import get_instance
from media_pipeline_tests.conftest import REPO
from media_pipeline_tests.postgres import postgres_environment

pytestmark = pytest.mark.postgres


def test_scan_with_catalog_and_dagster_on_postgres(
    mp,
    home: Path,
    immich_library: Path,
    postgres_database: str,
    monkeypatch,
) -> None:
    environment = postgres_environment(postgres_database)
    url = environment["MEDIA_PIPELINE_DATABASE_URL"]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (home / "dagster").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "postgres" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    (immich_library / "broken.heic").write_bytes(b"not a heic")

    mp("library", "add", "photos", str(immich_library))
    mp("run")

    heic = mp.json("info", str(immich_library / "formats" / "heic" / "IMG_2682.heic"))
    assert (heic["model"], heic["width"]) == ("iPhone 7", 4032)
    assert heic["time_zone"] == "America/Chicago"
    assert [e["path"] for e in mp.json("errors")] == [str(immich_library / "broken.heic")]

    with get_instance() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        [record] = instance.get_run_records(filters=dg.RunsFilter(job_name="library_pipeline"))
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_dynamic_partitions("libraries") == ["photos"]

    engine = create_engine(url)
    with engine.connect() as conn:
        files = conn.execute(text("SELECT count(*) FROM media_files")).scalar_one()
        distinct = conn.execute(text("SELECT count(DISTINCT rel_path) FROM media_files")).scalar()
        dagster_runs = conn.execute(text("SELECT count(*) FROM runs")).scalar_one()
    engine.dispose()
    assert (
        files
        == distinct
        == len([p for p in immich_library.rglob("*") if p.is_file() and p.name != "broken.heic"])
    )
    assert dagster_runs == 3  # models, the library's run, the one over every library
