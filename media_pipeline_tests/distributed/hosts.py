"""Other machines on this one: each Celery worker in a network namespace of its own (a veth
pair to this host, its own hostname), reaching the broker and PostgreSQL only over the veth
address through socat forwards, as a second machine on the LAN would."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from media_pipeline_tests.deploy.services import free_port

RABBITMQ = ("127.0.0.1", 5672)
POSTGRES = ("127.0.0.1", 5432)
READY_TIMEOUT = 180.0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class Host:
    """A network namespace with a worker in it; stop() removes everything it made."""

    def __init__(self, tag: str, index: int, log: Path) -> None:
        self.name = f"mp{tag}{index}"  # namespace, hostname and worker name (≤ 15 chars)
        self.log = log
        self.octets = f"10.{random.randint(100, 250)}.{random.randint(0, 255)}"
        self.host_ip, self.ns_ip = f"{self.octets}.1", f"{self.octets}.2"
        self.forwards: list[subprocess.Popen] = []
        self.worker: subprocess.Popen | None = None
        outside, inside = f"v{tag}{index}h", f"v{tag}{index}n"
        _ip("netns", "add", self.name)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", self.name)
        _ip("addr", "add", f"{self.host_ip}/30", "dev", outside)
        _ip("link", "set", outside, "up")
        for args in (
            ["addr", "add", f"{self.ns_ip}/30", "dev", inside],
            ["link", "set", inside, "up"],
            ["link", "set", "lo", "up"],
        ):
            _ip("netns", "exec", self.name, "ip", *args)
        self.broker_port = self._forward(RABBITMQ)
        self.postgres_port = self._forward(POSTGRES)

    def _forward(self, target: tuple[str, int]) -> int:
        port = free_port()
        socat = shutil.which("socat")
        assert socat, "socat is missing (.ci/run installs it)"
        self.forwards.append(
            subprocess.Popen(
                [socat, f"TCP-LISTEN:{port},bind={self.host_ip},fork,reuseaddr",
                 f"TCP:{target[0]}:{target[1]}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
        return port

    def environment(self, vhost: str, database: str) -> dict[str, str]:
        """What a worker on another machine is given: addresses it reaches over the veth."""
        return {
            **os.environ,
            "DAGSTER_PG_HOST": self.host_ip,
            "DAGSTER_PG_PORT": str(self.postgres_port),
            "MEDIA_PIPELINE_DATABASE_URL": (
                f"postgresql+psycopg2://postgres@{self.host_ip}:{self.postgres_port}/{database}"
            ),
            "MEDIA_PIPELINE_CELERY_BROKER": (
                f"pyamqp://guest:guest@{self.host_ip}:{self.broker_port}/{vhost}"
            ),
        }

    def start_worker(self, vhost: str, database: str) -> None:
        command = (
            f"hostname {self.name} && exec {sys.executable} -m media_pipeline worker "
            f"--queues cpu,gpu --name {self.name}"
        )
        with open(self.log, "ab") as out:
            self.worker = subprocess.Popen(
                ["ip", "netns", "exec", self.name, "unshare", "--uts", "sh", "-c", command],
                env=self.environment(vhost, database),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while " ready." not in self.output():
            assert self.worker is not None and self.worker.poll() is None, self.output()[-3000:]
            assert time.monotonic() < deadline, f"worker {self.name} not ready\n{self.output()}"
            time.sleep(0.5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill_worker(self) -> None:
        """kill -9 of the worker process: a machine whose worker died mid-batch."""
        assert self.worker is not None
        os.kill(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=30)

    def stop(self) -> None:
        if self.worker is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
        for forward in self.forwards:
            forward.kill()
            forward.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def new_tag() -> str:
    return uuid.uuid4().hex[:5]


def add_vhost(vhost: str) -> None:
    """A RabbitMQ virtual host of this test's own: other tests' workers never see its queues."""
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )


def delete_vhost(vhost: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
