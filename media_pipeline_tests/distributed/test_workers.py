"""Batches on two Celery workers on two hosts: both work, a worker killed mid-batch loses
and duplicates nothing, a run terminated through GraphQL keeps its committed batches."""

from __future__ import annotations

import re
import time
from pathlib import Path

import dagster as dg
from PIL import Image
from sqlalchemy import text

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.deploy.graphql import GraphQL
from media_pipeline_tests.deploy.services import Service, free_port
from media_pipeline_tests.distributed.conftest import BATCH_FILES as BATCH
from media_pipeline_tests.distributed.conftest import Cluster
from media_pipeline_tests.distributed.hosts import Host

FILES, DISTINCT = 2000, 1950
# A warm worker pool renders a 24x16 JPEG in about 4 ms, so a batch of them ends before the
# test sees it start; 1024x768 takes about 14 ms a file, over a second a batch.
KILLABLE = (1024, 768)
STEP = re.compile(r": step (\S+) of run")
PENDING = re.compile(r" on (?P<host>\S+): (?P<pending>\d+) files pending$")


def _tiny_library(
    root: Path, start: int, count: int, distinct: int, size: tuple[int, int] = (24, 16)
) -> None:
    """``count`` small JPEGs (``distinct`` contents: the rest are copies) and one corrupt file
    (the scan's to refuse)."""
    root.mkdir(exist_ok=True)
    for n in range(start, start + count):
        content = start + (n - start) % distinct
        image = Image.new("RGB", size, (content % 256, content // 256 % 256, 7))
        image.putpixel((content % 24, 0), (255, 255, 255))
        image.save(root / f"img{n:05}.jpg", quality=90)
    (root / f"broken{start}.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")


def _steps(host: Host, prefix: str) -> list[str]:
    return [step for step in STEP.findall(host.output()) if step.startswith(prefix)]


def _completed(host: Host, prefix: str) -> list[str]:
    """The steps ``host``'s worker ran to the end (its solo pool runs one task at a time)."""
    done, current = [], None
    for line in host.output().splitlines():
        if match := STEP.search(line):
            current = match[1]
        elif " succeeded in " in line and current is not None:
            done.append(current)
            current = None
    return [step for step in done if step.startswith(prefix)]


def _pending_lines(instance, step: str) -> list[tuple[str, int]]:
    """(host, files pending) of each attempt of a batch step, from the run's event log."""
    [run] = instance.get_runs(limit=1)
    lines = []
    for record in instance.get_records_for_run(run.run_id, limit=100_000).records:
        entry = record.event_log_entry
        match = PENDING.search(entry.user_message or "")
        if entry.step_key == step and match:
            lines.append((match["host"], int(match["pending"])))
    return lines


def kill_mid_batch(host: Host, process, prefix: str, instance) -> str:
    """kill -9 of ``host``'s worker once it has started the work of a batch step (its second
    or later); returns that step's key."""

    def busy_after_a_batch() -> bool:
        started = _steps(host, "")
        batches = _steps(host, prefix)
        finished = host.output().count(" succeeded in ")
        assert process.poll() is None, "the run ended before a worker could be killed"
        return len(started) > finished and len(batches) >= 2 and started[-1] == batches[-1]

    _wait(busy_after_a_batch, 600, f"{host.name} in its second {prefix} step")
    killed = _steps(host, prefix)[-1]
    _wait(lambda: _pending_lines(instance, killed), 120, f"{killed} to start its work", 0.05)
    host.kill_worker()
    return killed


def run_and_kill(cluster: Cluster, instance, prefix: str, *args: str) -> str:
    """`media-pipeline run ARGS` with the first worker killed mid-batch: the run must still
    succeed, the killed step done again by the second worker. Returns the killed step."""
    first, second = cluster.hosts
    process = run_cli("run", *args)
    try:
        killed = kill_mid_batch(first, process, prefix, instance)
        stdout, stderr = process.communicate(timeout=900)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stdout + stderr
    assert killed in _steps(second, prefix), "the killed batch was not redelivered"
    # Killed mid-batch: the copy on the other host found part of the batch still to do.
    [(_, planned), (again, rest)] = _pending_lines(instance, killed)
    assert again == second.name and 0 < rest <= planned
    return killed


def _wait(condition, timeout: float, what: str, every: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)


def _rows(catalog, table: str) -> int:
    with catalog.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _distinct_contents(catalog) -> int:
    with catalog.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(DISTINCT content_hash) FROM media_files WHERE status='present'")
            ).scalar_one()
        )


def _check_derivatives(catalog, home: Path) -> None:
    """One row per content, every file decodes, no temporary file is left."""
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT preview_path, thumbnail_path FROM thumbnails")).all()
        duplicated = conn.execute(
            text("SELECT count(*) FROM (SELECT content_hash FROM thumbnails GROUP BY 1 "
                 "HAVING count(*) > 1) d")
        ).scalar_one()  # fmt: skip
    assert duplicated == 0
    for preview, thumbnail in rows:
        for path in (preview, thumbnail):
            with Image.open(home / path) as image:
                image.load()
    assert list(home.rglob(".tmp-*")) == []


def _latest(instance, asset: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_two_hosts_share_the_batches_and_a_killed_worker_loses_nothing(
    cluster: Cluster, mp, instance, tmp_path: Path
):
    library = tmp_path / "tiny"
    _tiny_library(library, 0, FILES, DISTINCT, KILLABLE)
    mp("library", "add", "tiny", str(library))
    catalog = open_catalog(settings.database_url())
    first, second = cluster.hosts

    run_and_kill(
        cluster, instance, "thumbnails.thumbnails_batch", "--select", "media_catalog,thumbnails"
    )
    [record] = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]))
    assert record.dagster_run.job_name == "library_pipeline"

    made = _latest(instance, "thumbnails")
    # What the killed batch committed before it died is in the catalog, not in a summary
    # (all of it, when the kill lands after its last commit, as it can on a loaded machine).
    assert DISTINCT - BATCH <= made["rendered"] <= DISTINCT
    [error] = mp.json("errors")
    assert error["path"].endswith("/broken0.jpg") and error["stage"] == "scan"
    assert made["batches"] == -(-(DISTINCT + 1) // BATCH)
    # Both hosts finished batches, and the metadata names both: a finished batch whose
    # acknowledgement died with its worker is delivered again and finds nothing pending, so
    # the collect step counts its first attempt from the event log.
    prefix = "thumbnails.thumbnails_batch"
    assert _completed(first, prefix) and _completed(second, prefix)
    assert set(made["hosts"].split(", ")) == {first.name, second.name}
    assert _rows(catalog, "thumbnails") == _distinct_contents(catalog) == DISTINCT
    _check_derivatives(catalog, settings.media_home())


def test_a_distributed_run_terminated_through_graphql_keeps_its_batches(
    cluster: Cluster, mp, instance, tmp_path: Path
):
    library = tmp_path / "tiny"
    total = 900
    _tiny_library(library, 0, total, total, KILLABLE)
    mp("library", "add", "tiny", str(library))
    catalog = open_catalog(settings.database_url())
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text("load_from:\n  - python_module: media_pipeline.definitions\n")
    port = free_port()
    webserver = Service(
        "dagster-webserver",
        ["-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
        tmp_path,
        tmp_path / "webserver.log",
    )
    api = GraphQL(port)
    try:
        mp("run", "--select", "media_catalog")
        _wait(api.answering, 300, "the webserver")
        process = run_cli("run", "--select", "thumbnails")
        try:
            _wait(lambda: _rows(catalog, "thumbnails") >= BATCH, 600, "a committed batch")
            [record] = instance.get_run_records(
                dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
            )
            run_id = record.dagster_run.run_id
            outcome = api.terminate(run_id)
            # The webserver marks the run CANCELING; it reports a failure only because the
            # run's orchestrator (this CLI process) is no run worker of its launcher.
            assert outcome["__typename"] in ("TerminateRunSuccess", "TerminateRunFailure")
            assert instance.get_run_by_id(run_id).status in (
                dg.DagsterRunStatus.CANCELING,
                dg.DagsterRunStatus.CANCELED,
            ), outcome
            _, stderr = process.communicate(timeout=600)
        finally:
            if process.poll() is None:
                process.kill()
    finally:
        webserver.stop()
    assert process.returncode != 0
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.CANCELED, stderr
    kept = _rows(catalog, "thumbnails")
    assert BATCH <= kept < total
    steps = [s for host in cluster.hosts for s in _steps(host, "thumbnails.thumbnails_batch")]
    assert len(steps) < -(-total // BATCH), "queued batches ran after the termination"

    mp("run", "--select", "thumbnails")
    made = _latest(instance, "thumbnails")
    assert (made["rendered"], made["pending_before"]) == (total - kept, total - kept)
    assert _rows(catalog, "thumbnails") == total
    _check_derivatives(catalog, settings.media_home())
