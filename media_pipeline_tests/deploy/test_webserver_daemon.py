"""End to end with the real processes on PostgreSQL: dagster-webserver and dagster-daemon.

Files added to a library trigger the change sensor, the scan's run and then the thumbnails'
(automation sensor) — all watched through the webserver's GraphQL API. Then a running
thumbnails run is terminated through the API as the UI's button does: what it committed stays,
and the next run renders the rest.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from media_pipeline_tests.conftest import IMMICH, REPO
from media_pipeline_tests.deploy.graphql import LAUNCH, TERMINATE, GraphQL, wait_for
from media_pipeline_tests.images import make_jpeg
from media_pipeline_tests.postgres import HOST, PORT, USER

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(900)]

BIG = 150  # distinct 24 MP photos: rendering them takes long enough to be stopped midway


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _with_comment(jpeg: bytes, text_: str) -> bytes:
    """The same JPEG with a COM segment after SOI: a distinct file and content hash."""
    payload = text_.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


@pytest.fixture
def production(home: Path, postgres_database: str, monkeypatch) -> Iterator[dict]:
    """Catalog and Dagster on one PostgreSQL database, configured as deploy/postgres says."""
    url = f"postgresql+psycopg2://{USER}@{HOST}:{PORT}/{postgres_database}"
    settings = {
        "MEDIA_PIPELINE_DATABASE_URL": url,
        "DAGSTER_PG_HOST": HOST,
        "DAGSTER_PG_PORT": str(PORT),
        "DAGSTER_PG_USER": USER,
        "DAGSTER_PG_PASSWORD": "",
        "DAGSTER_PG_DB": postgres_database,
        "MEDIA_PIPELINE_SENSOR_INTERVAL": "5",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    (home / "dagster").mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "postgres" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    engine = create_engine(url)
    yield {"url": url, "engine": engine}
    engine.dispose()


@pytest.fixture
def services(production, tmp_path: Path) -> Iterator[GraphQL]:
    """dagster-webserver and dagster-daemon, bound to 127.0.0.1, stopped however the test ends."""
    port = _free_port()
    bin_dir = Path(sys.executable).parent  # the environment the tests run in
    workspace = str(REPO / "workspace.yaml")

    def start(name: str, *args: str) -> subprocess.Popen:
        executable = shutil.which(name, path=str(bin_dir)) or shutil.which(name) or name
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115  (closed with the process)
        return subprocess.Popen(
            [executable, *args],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    processes = [
        start("dagster-webserver", "-h", "127.0.0.1", "-p", str(port), "-w", workspace),
        start("dagster-daemon", "run", "-w", workspace),
    ]
    try:
        api = GraphQL(port)
        wait_for(api.answering, "the webserver", timeout=120)
        wait_for(api.location_loaded, "the code location", timeout=120)
        yield api
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _succeeded(api: GraphQL, job: str, library: str, after: int = 0) -> list[dict]:
    runs = api.runs(
        pipelineName=job,
        statuses=["SUCCESS"],
        tags=[{"key": "dagster/partition", "value": library}],
    )
    return runs if len(runs) > after else []


def _rendered(engine, library: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(DISTINCT t.content_hash) FROM thumbnails t "
                "JOIN media_files m ON m.content_hash = t.content_hash "
                "JOIN libraries l ON l.id = m.library_id WHERE l.name = :library"
            ),
            {"library": library},
        ).scalar_one()


def test_sensor_scan_thumbnails_and_termination_through_the_api(
    mp, production, services: GraphQL, tmp_path: Path, home: Path
) -> None:
    api, engine = services, production["engine"]
    photos = tmp_path / "photos"
    for index in range(2):
        make_jpeg(photos / f"IMG_{index}.jpg", color=(index * 60, 90, 30))
    mp("library", "add", "photos", str(photos))

    # A new library is scanned by the sensor, and its thumbnails follow through the graph.
    wait_for(lambda: _succeeded(api, "library_pipeline", "photos"), "the first sensor run")
    wait_for(lambda: _rendered(engine, "photos") == 2, "the first thumbnails")
    [first_scan] = _succeeded(api, "library_pipeline", "photos")
    tags = {tag["key"]: tag["value"] for tag in first_scan["tags"]}
    assert tags["media_pipeline/trigger"] == "sensor"

    # Adding files triggers the sensor again; the new files get scanned and rendered.
    for index in range(2, 5):
        make_jpeg(photos / "new" / f"IMG_{index}.jpg", color=(index * 40, 20, 200))
    wait_for(lambda: _succeeded(api, "library_pipeline", "photos", after=1), "the second run")
    wait_for(lambda: _rendered(engine, "photos") == 5, "thumbnails of the new files")
    for path in sorted(photos.rglob("*.jpg")):
        info = mp.json("info", str(path))
        assert info["status"] == "present" and Path(info["preview_path"]).is_file()

    # Termination from the API keeps what was committed; the next run renders the rest.
    big = tmp_path / "big"
    big.mkdir()
    original = (IMMICH / "albums" / "text" / "craft-beer.jpg").read_bytes()
    for index in range(BIG):
        (big / f"DSC_{index:04}.jpg").write_bytes(_with_comment(original, f"copy {index}"))
    mp("library", "add", "big", str(big))

    def running() -> str | None:
        runs = api.runs(statuses=["STARTED"], tags=[{"key": "dagster/partition", "value": "big"}])
        return runs[0]["runId"] if runs else None

    run_id = wait_for(running, "the sensor's run of the big library", timeout=300)
    wait_for(lambda: _rendered(engine, "big") > 0, "a first committed batch")
    outcome = api(TERMINATE, runId=run_id)["terminateRun"]
    assert outcome["__typename"] == "TerminateRunSuccess", outcome
    wait_for(lambda: api.runs(runIds=[run_id], statuses=["CANCELED"]), "the run to be canceled")
    kept = _rendered(engine, "big")
    assert 0 < kept < BIG
    with engine.connect() as conn:
        paths = conn.execute(text("SELECT preview_path, thumbnail_path FROM thumbnails")).all()
    assert all((home / p).is_file() and (home / t).is_file() for p, t in paths)

    launched = api(
        LAUNCH,
        params={
            "selector": {
                "repositoryLocationName": "media_pipeline",
                "repositoryName": "__repository__",
                "jobName": "library_pipeline",
                "assetSelection": [{"path": ["thumbnails"]}],
            },
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "big"}]},
            "runConfigData": {},
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    again = launched["run"]["runId"]
    wait_for(lambda: api.runs(runIds=[again], statuses=["SUCCESS"]), "the next run", timeout=400)
    assert _rendered(engine, "big") == BIG
