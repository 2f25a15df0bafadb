"""The operator's controls with the real webserver and daemon on PostgreSQL (one start for
the module's one test, as the services take most of its time):

1. `pause ml` holds the ML steps of the change sensor's run (scan and thumbnails done, CLIP and
   faces waiting for a slot); two runs launched through the API meanwhile wait in the queue
   (one scan per library) with the tags the queue gave them; `resume ml` lets the held run
   finish, and the queued runs then start in priority order, the higher first.
2. A run the CLI executes is listed under its job, as the UI's Jobs page asks for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster._core.storage.tags import PRIORITY_TAG

from media_pipeline.runtime.tags import LIBRARY, SCAN, TRIGGER
from media_pipeline_tests.deploy import test_webserver_daemon as deployed
from media_pipeline_tests.deploy.graphql import (
    LOCATION,
    REPOSITORY,
    TERMINAL,
    materialized,
    tag_dict,
)
from media_pipeline_tests.deploy.services import Services
from media_pipeline_tests.images import make_jpeg

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

# The deployment of test_webserver_daemon: catalog and Dagster on PostgreSQL, both services.
database_url = deployed.database_url
services = deployed.services
CHANGE_SENSOR, PARTITION = deployed.CHANGE_SENSOR, deployed.PARTITION

JOB_RUNS = """
query JobRuns($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) {
    __typename
    ... on Pipeline { runs { runId tags { key value } } }
    ... on PythonError { message }
  }
}
"""

STARTED = """
query Started($ids: [String!]) {
  runsOrError(filter: {runIds: $ids}) { ... on Runs { results { runId status startTime } } }
}
"""


def _job_runs(running: Services, job: str) -> list[dict]:
    """The runs the UI's page of `job` lists."""
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "pipelineName": job,
    }
    found = running.api(JOB_RUNS, selector=selector)["pipelineOrError"]
    assert found["__typename"] == "Pipeline", found
    return found["runs"]


def test_pause_resume_priority_and_cli_runs_on_the_jobs_page(
    mp, services: Services, tmp_path: Path
) -> None:
    api = services.api
    mp("pause", "ml")
    photos = tmp_path / "photos"
    for index in range(3):
        make_jpeg(photos / f"IMG_{index}.jpg", color=(index * 80, 60, 140))
    mp("library", "add", "photos", str(photos))

    # 1. The change sensor's run scans and renders, then its ML steps wait.
    def held() -> dict | None:
        runs = api.runs(pipelineName="library_pipeline", tags={TRIGGER: "sensor"})
        [ml] = mp.json("concurrency", "ml")
        return runs[0] if runs and runs[0]["status"] == "STARTED" and ml["waiting"] else None

    sensor_run = services.wait_for(held, "the sensor's run to wait for an ml slot", 240, 1)
    services.stop_sensor(CHANGE_SENSOR)  # no more runs of its own from here on
    assert {("media_catalog", "photos"), ("thumbnails", "photos")} <= materialized(
        api.run(sensor_run["runId"])
    )
    assert mp.json("status")["paused"].keys() == {"ml"}

    # Launched as the UI's Launchpad does, without our tags: the queue adds them, and the
    # one-scan-per-library limit holds both behind the held run.
    low, high = (
        api.launch("library_pipeline", {PARTITION: "photos", PRIORITY_TAG: p}, ["media_catalog"])
        for p in ("-5", "20")
    )
    for run_id in (low, high):
        tags = tag_dict(api.run(run_id))
        assert (tags[LIBRARY], tags[TRIGGER], tags[SCAN]) == ("photos", "ui", "photos"), tags
    services.wait_for(
        lambda: mp.json("status")["figures"]["backlog"]["queued_runs"] == 2, "2 queued runs", 60, 1
    )
    assert {api.run(r)["status"] for r in (low, high)} == {"QUEUED"}

    mp("resume", "ml")

    def finished() -> list[dict] | None:
        runs = services.api(STARTED, ids=[sensor_run["runId"], low, high])["runsOrError"]
        runs = runs["results"]
        return runs if all(run["status"] in TERMINAL for run in runs) else None

    done = {run["runId"]: run for run in services.wait_for(finished, "the three runs", 300, 2)}
    assert {run["status"] for run in done.values()} == {"SUCCESS"}, done
    assert done[high]["startTime"] < done[low]["startTime"], "the higher priority went first"
    assert {("clip_embeddings", "photos"), ("face_detections", "photos")} <= materialized(
        api.run(sensor_run["runId"])
    )
    assert mp.json("status")["paused"] == {}

    # 2. A run the CLI executed in its own process is on its job's page, with our tags.
    mp("run", "--library", "photos", "--select", "media_catalog")
    [cli_run] = [
        run for run in _job_runs(services, "library_pipeline") if tag_dict(run)[TRIGGER] == "cli"
    ]
    assert tag_dict(cli_run)[LIBRARY] == "photos"
    listed = {run["runId"] for run in _job_runs(services, "library_pipeline")}
    assert {sensor_run["runId"], low, high, cli_run["runId"]} <= listed
