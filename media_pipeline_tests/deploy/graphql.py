"""A small client of the webserver's GraphQL API: the queries and mutations the UI sends.

Standard library only (urllib + json), against 127.0.0.1. Names checked against the installed
dagster-graphql (1.13): runsOrError, sensorOrError, stopSensor, launchRun, terminateRun,
assetOrError.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

LOCATION = "media_pipeline"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the repository of a Definitions object

RUN_FIELDS = """
  runId status jobName canTerminate
  tags { key value }
  stepStats { stepKey status }
  assetMaterializations { assetKey { path } partition }
"""

RUNS = f"""
query Runs($filter: RunsFilter) {{
  runsOrError(filter: $filter) {{
    __typename
    ... on Runs {{ results {{ {RUN_FIELDS} }} }}
    ... on PythonError {{ message }}
  }}
}}
"""

RUN_LOGS = """
query Logs($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message level stepKey }
        ... on ErrorEvent { error { message } }
      }
    }
  }
}
"""

LOCATIONS = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""

SENSOR = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { id name defaultStatus sensorState { status } }
    ... on PythonError { message }
  }
}
"""

STOP_SENSOR = """
mutation Stop($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
    ... on PythonError { message }
  }
}
"""

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""

TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunSuccess { run { runId status } }
    ... on TerminateRunFailure { message }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

MATERIALIZATIONS = """
query Materializations($path: [String!]!, $partitions: [String!]) {
  assetOrError(assetKey: {path: $path}) {
    __typename
    ... on Asset {
      assetMaterializations(partitions: $partitions) {
        runId partition timestamp
        metadataEntries {
          label ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text }
        }
      }
    }
  }
}
"""

TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


class GraphQL:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            document = json.load(response)
        if document.get("errors"):
            raise AssertionError(f"GraphQL errors: {document['errors']}")
        return document["data"]

    # --- liveness -------------------------------------------------------------------------

    def answering(self) -> bool:
        try:
            return bool(self("{ version }")["version"])
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def location_loaded(self) -> bool:
        """True once the code location is loaded; its load error fails at once."""
        workspace = self(LOCATIONS)["workspaceOrError"]
        assert workspace["__typename"] == "Workspace", workspace
        for entry in workspace["locationEntries"]:
            if entry["name"] != LOCATION or entry["loadStatus"] != "LOADED":
                continue
            loaded = entry["locationOrLoadError"]
            assert loaded["__typename"] == "RepositoryLocation", loaded
            return True
        return False

    # --- runs -----------------------------------------------------------------------------

    def runs(self, **filter_: Any) -> list[dict[str, Any]]:
        """Runs matching a RunsFilter, newest first; `tags` may be given as a dict."""
        if isinstance(filter_.get("tags"), dict):
            filter_["tags"] = [{"key": k, "value": v} for k, v in filter_["tags"].items()]
        result = self(RUNS, filter=filter_)["runsOrError"]
        assert result["__typename"] == "Runs", result
        return result["results"]

    def run(self, run_id: str) -> dict[str, Any]:
        [found] = self.runs(runIds=[run_id])
        return found

    def errors(self, run_id: str) -> list[str]:
        """The ERROR lines of a run's event log, to explain a failure."""
        events = self(RUN_LOGS, runId=run_id)["logsForRun"].get("events", [])
        return [
            f"{e.get('stepKey') or '-'}: {e['message']} {(e.get('error') or {}).get('message', '')}"
            for e in events
            if e.get("level") in ("ERROR", "CRITICAL") or e.get("error")
        ]

    def launch(
        self,
        job: str,
        tags: dict[str, str],
        assets: list[str] | None = None,
        run_config: dict[str, Any] | None = None,
    ) -> str:
        """launchRun as the UI's Launchpad sends it; returns the run id (QUEUED)."""
        selector: dict[str, Any] = {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": job,
        }
        if assets is not None:
            selector["assetSelection"] = [{"path": [name]} for name in assets]
        outcome = self(
            LAUNCH,
            params={
                "selector": selector,
                "runConfigData": run_config or {},
                "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
            },
        )["launchRun"]
        assert outcome["__typename"] == "LaunchRunSuccess", outcome
        return outcome["run"]["runId"]

    def terminate(self, run_id: str) -> dict[str, Any]:
        return self(TERMINATE, runId=run_id)["terminateRun"]

    # --- sensors --------------------------------------------------------------------------

    def sensor(self, name: str) -> dict[str, Any]:
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
        sensor = self(SENSOR, selector={**selector, "sensorName": name})["sensorOrError"]
        assert sensor["__typename"] == "Sensor", sensor
        return sensor

    def stop_sensor(self, name: str) -> str:
        """What the UI's sensor toggle sends; returns the new status."""
        outcome = self(STOP_SENSOR, id=self.sensor(name)["id"])["stopSensor"]
        assert outcome["__typename"] == "StopSensorMutationResult", outcome
        return outcome["instigationState"]["status"]

    # --- assets ---------------------------------------------------------------------------

    def materializations(self, asset: str, partition: str) -> list[dict[str, Any]]:
        """The asset's materializations of one partition, newest first, metadata (numbers and
        texts) as a dict."""
        result = self(MATERIALIZATIONS, path=[asset], partitions=[partition])["assetOrError"]
        assert result["__typename"] == "Asset", result
        events = result["assetMaterializations"]
        for event in events:
            event["metadata"] = {
                entry["label"]: entry.get("intValue", entry.get("text"))
                for entry in event["metadataEntries"]
            }
        return sorted(events, key=lambda event: float(event["timestamp"]), reverse=True)


def tag_dict(run: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def materialized(run: dict[str, Any]) -> set[tuple[str, str | None]]:
    """(asset, partition) pairs a run materialized."""
    return {
        ("/".join(event["assetKey"]["path"]), event["partition"])
        for event in run["assetMaterializations"]
    }
