"""Face batches on two hosts: a worker killed mid-batch leaves no duplicate faces."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import text

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline_tests.corpus import CORPUS
from media_pipeline_tests.distributed.conftest import Cluster
from media_pipeline_tests.distributed.test_workers import _latest, run_and_kill

BATCH = 15


@pytest.fixture
def batch_files() -> int:
    return BATCH


def test_a_redelivered_face_batch_leaves_one_set_of_faces_per_content(
    cluster: Cluster, mp, instance, tmp_path: Path
):
    library = tmp_path / "lfw"
    shutil.copytree(CORPUS / "faces-lfw", library, ignore=shutil.ignore_patterns("README*"))
    mp("library", "add", "lfw", str(library))
    catalog = open_catalog(settings.database_url())
    run_and_kill(
        cluster,
        instance,
        "face_detections.face_detections_batch",
        "--select",
        "media_catalog,thumbnails,face_detections",
    )
    assert instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]))
    with catalog.engine.connect() as conn:
        contents = conn.execute(text("SELECT count(*) FROM thumbnails")).scalar_one()
        scans = conn.execute(text("SELECT content_hash, model, face_count FROM face_scans")).all()
        found = dict(
            conn.execute(text("SELECT content_hash || model, count(*) FROM faces GROUP BY 1")).all()
        )
    assert len(scans) == len({(h, m) for h, m, _ in scans}) == contents
    assert all(found.get(h + m, 0) == count for h, m, count in scans)
    assert sum(found.values()) >= contents // 2  # LFW: a face in (nearly) every photo
    assert _latest(instance, "face_detections")["batches"] >= 2
