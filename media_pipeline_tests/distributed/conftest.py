"""A library on PostgreSQL with two Celery workers, each on a host of its own (hosts.py)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from media_pipeline_tests.distributed.hosts import Host, add_vhost, delete_vhost, new_tag
from media_pipeline_tests.postgres import postgres_environment

REPO = Path(__file__).resolve().parents[2]
BATCH_FILES = 100


@dataclass
class Cluster:
    hosts: list[Host]
    vhost: str
    database: str


def _broker_up() -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", 5672)) == 0


@pytest.fixture
def batch_files() -> int:
    """Files per batch on the workers; a test module overrides it."""
    return BATCH_FILES


@pytest.fixture
def cluster(
    home: Path, tmp_path: Path, postgres_database: str, batch_files: int, monkeypatch
) -> Iterator[Cluster]:
    """This process submits (DAGSTER_HOME on PostgreSQL, the celery executor); the workers
    run in their own network namespaces. Fails, never skips, without RabbitMQ or root."""
    if not _broker_up():
        pytest.fail("RabbitMQ is not listening on 127.0.0.1:5672 (.ci/run starts it)")
    if shutil.which("ip") is None or shutil.which("unshare") is None:
        pytest.fail("the distributed tests need iproute2 and util-linux (ip netns, unshare)")
    tag = new_tag()
    vhost = f"mp-test-{tag}"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copyfile(REPO / "deploy" / "distributed" / "dagster.yaml", dagster_home / "dagster.yaml")
    for name, value in {
        **postgres_environment(postgres_database),
        "MEDIA_PIPELINE_CELERY_BROKER": f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}",
        "MEDIA_PIPELINE_FACE_BACKEND": "dlib",
        # Read where a plan runs, so on the workers too: small batches, many of them.
        "MEDIA_PIPELINE_BATCH_FILES": str(batch_files),
    }.items():
        monkeypatch.setenv(name, value)
    add_vhost(vhost)
    hosts: list[Host] = []
    try:
        for index in range(2):
            hosts.append(Host(tag, index, tmp_path / f"worker{index}.log"))
        for host in hosts:
            host.start_worker(vhost, postgres_database)
        for host in hosts:
            host.wait_ready()
        yield Cluster(hosts, vhost, postgres_database)
    finally:
        for host in hosts:
            host.stop()
        delete_vhost(vhost)
