"""`save_face_scans` with two writers on one content (a zombie worker and the redelivered copy
of its batch): no IntegrityError, one set of faces per content and model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from sqlalchemy import text

from media_pipeline.catalog.faces import FoundFace, save_face_scans
from media_pipeline.catalog.store import open_catalog
from media_pipeline_tests.postgres import HOST, PORT, USER

pytestmark = pytest.mark.postgres

CONTENTS = [f"{n:032x}" for n in range(6)]


def _scan(content_hash: str, count: int) -> tuple[str, list[FoundFace]]:
    faces = [
        FoundFace((x * 50.0, 0.0, x * 50.0 + 40, 40.0), [[0.0, 0.0]] * 5, 0.9, np.ones(4))
        for x in range(count)
    ]
    return content_hash, faces


def test_concurrent_writers_of_the_same_contents_leave_one_set_of_faces(postgres_database):
    url = f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{postgres_database}"
    catalog = open_catalog(url)
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(5):
                save_face_scans(catalog, "m1", [_scan(h, 3) for h in CONTENTS])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with catalog.engine.connect() as conn:
        per_content = conn.execute(
            text("SELECT content_hash, count(*) FROM faces WHERE model = 'm1' GROUP BY 1")
        ).all()
        scans = conn.execute(text("SELECT count(*) FROM face_scans")).scalar_one()
    assert sorted(per_content) == [(h, 3) for h in CONTENTS]
    assert scans == len(CONTENTS)
