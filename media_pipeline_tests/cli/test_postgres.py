"""The same scan with the catalog AND Dagster's storage on PostgreSQL (deploy/postgres)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import create_engine, text

from media_pipeline.runtime.instance import get_instance
from media_pipeline_tests.cli.test_cancel_and_concurrency import _big_library
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.conftest import REPO
from media_pipeline_tests.postgres import postgres_environment

pytestmark = pytest.mark.postgres


@pytest.fixture
def url(home: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The catalog and Dagster's storage on one PostgreSQL database, as deploy/postgres says."""
    environment = postgres_environment(postgres_database)
    url = environment["MEDIA_PIPELINE_DATABASE_URL"]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (home / "dagster").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "postgres" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    return url


def test_scan_with_catalog_and_dagster_on_postgres(mp, immich_library: Path, url: str) -> None:
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


def test_two_runs_of_one_library_at_once_both_end_well_and_work_once(
    mp, url: str, tmp_path: Path
) -> None:
    """The second CLI run waits for the first (one scan per library, as the queue allows),
    then finds nothing left to do; the collection rebuilds overlap safely."""
    total = 40
    root = _big_library(tmp_path / "shared", total)  # 40 hard links of one 24 MP photo
    mp("library", "add", "shared", str(root))
    processes = [run_cli("run", "--library", "shared") for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stdout + stderr
    assert any("waiting for another CLI run" in stdout for stdout, _ in outputs)

    with get_instance() as instance:
        runs = instance.get_run_records()
        assert {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert len(runs) == 6  # models, the library, the collections: twice

        def summed(asset: str, count: str) -> int:
            records = instance.fetch_materializations(dg.AssetKey(asset), limit=10).records
            return sum(record.asset_materialization.metadata[count].value for record in records)

        assert summed("media_catalog", "new") == total
        assert summed("thumbnails", "rendered") == 1  # one content
        assert summed("face_detections", "files_scanned") == 1
    [group] = mp.json("duplicates")
    assert group["kind"] == "exact" and len(group["files"]) == total
