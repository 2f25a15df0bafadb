"""End to end with the real processes on PostgreSQL: dagster-webserver and dagster-daemon.

As README's "Run it for real" deploys it (catalog and Dagster on one PostgreSQL database,
deploy/postgres/dagster.yaml), everything watched and driven through the webserver's GraphQL
API, as the UI does:

1. Files in a registered folder trigger `library_change_sensor`: its `library_pipeline` run scans,
   renders and embeds with the CLIP model set in the settings file (not in the services'
   environment); files added later trigger another run, which renders only the new ones.
2. With the change sensor stopped through the API (the UI's toggle), a scan started alone
   (`scan_library`, launched through the API) is followed by a thumbnails run from
   `derived_assets_follow_scans`; that run is terminated through the API (the UI's "Terminate"
   button) midway: what it committed stays, in the catalog and on disk, and the next run,
   launched through the API, renders exactly the rest.

The services' logs are under the test's tmp_path/logs; a failed wait prints their ends.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from media_pipeline.clip.naming import stable_model_name
from media_pipeline.runtime.tags import LIBRARY, TRIGGER, library_run_tags
from media_pipeline_tests.conftest import IMMICH, REPO
from media_pipeline_tests.deploy.graphql import TERMINAL, materialized, tag_dict
from media_pipeline_tests.deploy.services import Services
from media_pipeline_tests.images import make_jpeg
from media_pipeline_tests.postgres import HOST, PORT, USER

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

CHANGE_SENSOR = "library_change_sensor"
FOLLOW_SENSOR = "derived_assets_follow_scans"
PARTITION = "dagster/partition"
BIG = 150  # distinct 24 MP photos: rendering them takes long enough to stop the run midway


def _with_comment(jpeg: bytes, note: str) -> bytes:
    """The same JPEG with a COM segment after SOI: a distinct file and content hash (thumbnails
    are content-addressed: identical copies would render once)."""
    payload = note.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


@pytest.fixture
def database_url(
    home: Path, postgres_database: str, clip_model: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Catalog and Dagster on one PostgreSQL database, configured as deploy/postgres says; the
    environment is inherited by the CLI (in process) and by the services. The CLIP model is
    set in the settings file only, as a user sets it once for every process."""
    monkeypatch.delenv("MEDIA_PIPELINE_CLIP_MODEL")
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(f"clip_model = {str(clip_model)!r}\n")
    url = f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{postgres_database}"
    for name, value in {
        "MEDIA_PIPELINE_DATABASE_URL": url,
        "DAGSTER_PG_HOST": HOST,
        "DAGSTER_PG_PORT": str(PORT),
        "DAGSTER_PG_USER": USER,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": postgres_database,
        "MEDIA_PIPELINE_SENSOR_INTERVAL": "3",
        "MEDIA_PIPELINE_OFFLINE": "1",  # the CLIP model is a local folder: no hub lookups
    }.items():
        monkeypatch.setenv(name, value)
    (home / "dagster").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "postgres" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    return url


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[Services]:
    """dagster-webserver and dagster-daemon on 127.0.0.1, stopped however the test ends."""
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Services(REPO / "workspace.yaml", cwd=REPO, logs=logs)
    try:
        running.wait_for(running.api.answering, "the webserver to answer", 120, interval=1)
        running.wait_for(running.api.location_loaded, "the code location", 120, interval=1)
        yield running
    finally:
        running.stop()


@pytest.fixture
def catalog(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def _successful(services: Services, count: int, what: str, **filter_: Any) -> list[dict]:
    """Wait until `count` runs matching the filter have finished, all successfully (newest
    first); a failed or cancelled one fails the test at once with its errors."""
    api = services.api

    def check() -> list[dict] | None:
        done = [run for run in api.runs(**filter_) if run["status"] in TERMINAL]
        for run in done:
            if run["status"] != "SUCCESS":
                errors = "\n".join(api.errors(run["runId"]))
                raise AssertionError(
                    f"{what}: run {run['runId']} of {run['jobName']} ended {run['status']}:\n"
                    f"{errors}\n{services.diagnostics()}"
                )
        return done if len(done) >= count else None

    return services.wait_for(check, what, timeout=180)


def _derivatives(engine: Engine, library: str) -> dict[str, tuple]:
    """content hash -> (preview, thumbnail, created_at) of the library's rendered contents."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT t.content_hash, t.preview_path, t.thumbnail_path, t.created_at "
                "FROM thumbnails t JOIN media_files m ON m.content_hash = t.content_hash "
                "JOIN libraries l ON l.id = m.library_id WHERE l.name = :library"
            ),
            {"library": library},
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _on_disk(home: Path, derivatives: dict[str, tuple]) -> list[str]:
    """The derivative files of `derivatives` that are missing from disk."""
    return [
        path
        for preview, thumbnail, _ in derivatives.values()
        for path in (preview, thumbnail)
        if not (home / path).is_file()
    ]


def test_sensor_runs_and_termination_through_the_api(
    mp,
    corpus: Path,
    services: Services,
    catalog: Engine,
    tmp_path: Path,
    home: Path,
    clip_model: Path,
) -> None:
    api = services.api
    for name in (CHANGE_SENSOR, FOLLOW_SENSOR):
        sensor = api.sensor(name)
        assert sensor["defaultStatus"] == sensor["sensorState"]["status"] == "RUNNING", sensor

    # 1. A registered folder is scanned and rendered by the change sensor's run.
    photos = tmp_path / "photos"
    for index in range(2):
        make_jpeg(photos / f"IMG_{index}.jpg", color=(index * 90, 120, 40))
    mp("library", "add", "photos", str(photos))
    by_sensor = {"pipelineName": "library_pipeline", "tags": {LIBRARY: "photos", TRIGGER: "sensor"}}
    [first] = _successful(services, 1, "the sensor's first run of photos", **by_sensor)
    assert tag_dict(first)[PARTITION] == "photos"
    assert {("media_catalog", "photos"), ("thumbnails", "photos")} <= materialized(first)
    # The sensor-launched run found the CLIP model the settings file names (the environment
    # of the services has none).
    [embedded] = api.materializations("clip_embeddings", "photos")
    assert embedded["metadata"]["model"] == stable_model_name(clip_model), embedded["metadata"]

    # Files added later (a folder moved in at once, so the sensor sees them together) trigger
    # another run, which renders only them.
    staging = tmp_path / "staging" / "new"
    for index in range(2, 5):
        make_jpeg(staging / f"IMG_{index}.jpg", color=(index * 40, 20, 200))
    staging.rename(photos / "new")
    second, _ = _successful(services, 2, "the sensor's run after new files", **by_sensor)
    latest = api.materializations("thumbnails", "photos")
    assert [m["runId"] for m in latest] == [second["runId"], first["runId"]]
    assert latest[0]["metadata"]["rendered"] == 3, latest[0]["metadata"]
    assert latest[0]["metadata"]["failed"] == 0, latest[0]["metadata"]
    for path in sorted(photos.rglob("*.jpg")):
        info = mp.json("info", str(path))
        assert (info["library"], info["status"]) == ("photos", "present"), info
        assert Path(info["preview_path"]).is_file() and Path(info["thumbnail_path"]).is_file()

    # 2. A scan launched alone is followed by the thumbnails of the automation sensor.
    services.stop_sensor(CHANGE_SENSOR)  # the runs of the next library are ours
    big = tmp_path / "big"
    big.mkdir()
    original = (IMMICH / "albums" / "text" / "craft-beer.jpg").read_bytes()
    for index in range(BIG):
        (big / f"DSC_{index:04}.jpg").write_bytes(_with_comment(original, f"copy {index}"))
    mp("library", "add", "big", str(big))
    scan = api.launch("scan_library", {**library_run_tags("big", "ui"), PARTITION: "big"})
    _successful(services, 1, "the scan of big", runIds=[scan])
    assert _derivatives(catalog, "big") == {}
    # The change sensor is off: besides the scan, only the automation sensor's follower (which
    # may already be queued) runs for big.
    others = [r for r in api.runs(tags={PARTITION: "big"}) if r["runId"] != scan]
    assert all(tag_dict(r).get("dagster/sensor_name") == FOLLOW_SENSOR for r in others), others

    followers = {PARTITION: "big", "dagster/sensor_name": FOLLOW_SENSOR}

    def rendering() -> str | None:
        runs = api.runs(tags=followers)
        if not runs:
            return None
        assert len(runs) == 1, f"one thumbnails run expected: {runs}"
        [run] = runs
        assert run["status"] not in TERMINAL, f"it ended before it could be terminated: {run}"
        return run["runId"] if _derivatives(catalog, "big") else None

    follower = services.wait_for(rendering, "thumbnails of big, committed", 180, interval=0.5)
    assert api.stop_sensor(FOLLOW_SENSOR) == "STOPPED"  # no more automatic runs (see below)

    # Terminate it as the UI's button does; it stops midway and keeps what it committed.
    committed = _derivatives(catalog, "big")
    outcome = api.terminate(follower)
    assert outcome["__typename"] == "TerminateRunSuccess", outcome
    services.wait_for(
        lambda: api.run(follower)["status"] == "CANCELED", "the run to be canceled", 90, 0.5
    )
    services.stop_sensor(FOLLOW_SENSOR)  # (again, if the daemon undid the first stop)
    kept = _derivatives(catalog, "big")
    assert committed.items() <= kept.items()
    assert 0 < len(kept) < BIG, f"{len(kept)} of {BIG} rendered before the run was canceled"
    assert _on_disk(home, kept) == []
    assert not list((home / "thumbs").rglob(".tmp-*")), "half-written derivatives were left"
    assert api.materializations("thumbnails", "big") == []
    assert [r["runId"] for r in api.runs(tags=followers)] == [follower]  # no retry, no rerun

    # The next run, launched through the API, renders exactly the rest.
    again = api.launch(
        "library_pipeline",
        {**library_run_tags("big", "ui", scan=False), PARTITION: "big"},
        assets=["thumbnails"],
        run_config={"ops": {"thumbnails": {"config": {"workers": 1, "batch_size": 5}}}},
    )
    _successful(services, 1, "the next thumbnails run of big", runIds=[again])
    [done] = api.materializations("thumbnails", "big")
    assert done["runId"] == again
    rest = BIG - len(kept)
    assert done["metadata"]["pending_before"] == done["metadata"]["rendered"] == rest
    assert done["metadata"]["failed"] == 0
    everything = _derivatives(catalog, "big")
    assert len(everything) == BIG
    assert kept.items() <= everything.items()  # kept, not rendered again
    assert _on_disk(home, everything) == []
    for path in (big / "DSC_0000.jpg", big / f"DSC_{BIG - 1:04}.jpg"):
        info = mp.json("info", str(path))
        assert info["status"] == "present" and Path(info["preview_path"]).is_file(), info
    assert api.runs(statuses=["FAILURE"]) == []
