"""dagster-webserver and dagster-daemon as real processes: started in their own process groups
with their output in log files, and always stopped (SIGTERM, then SIGKILL) with everything they
started (code servers, run workers, renderers)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from media_pipeline_tests.deploy.graphql import GraphQL

T = TypeVar("T")

STOP_TIMEOUT = 20.0  # seconds a process group may take to exit after SIGTERM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Service:
    def __init__(self, name: str, args: list[str], cwd: Path, log: Path) -> None:
        bin_dir = Path(sys.executable).parent  # the environment the tests run in
        executable = shutil.which(name, path=str(bin_dir)) or shutil.which(name)
        assert executable, f"{name} is not installed beside {sys.executable}"
        self.name, self.log = name, log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [executable, *args],
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        self.pgid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError as exc:
            return f"({self.log}: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to what is left after STOP_TIMEOUT."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None and not _group_alive(self.pgid):
                break
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)


class Services:
    """The webserver (UI and GraphQL on 127.0.0.1:port) and the daemon, one workspace."""

    def __init__(self, workspace: Path, cwd: Path, logs: Path) -> None:
        self.port = free_port()
        self.api = GraphQL(self.port)
        self.services: list[Service] = []
        commands = {
            "dagster-webserver": ["-h", "127.0.0.1", "-p", str(self.port), "-w", str(workspace)],
            "dagster-daemon": ["run", "-w", str(workspace)],
        }
        try:
            for name, args in commands.items():
                self.services.append(Service(name, args, cwd, logs / f"{name}.log"))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for service in self.services:
            service.stop()

    def diagnostics(self) -> str:
        return "\n".join(
            f"--- {s.name} ({'running' if s.alive() else f'exited {s.process.returncode}'}), "
            f"end of {s.log}:\n{s.tail()}"
            for s in self.services
        )

    def check_alive(self) -> None:
        dead = [s for s in self.services if not s.alive()]
        if dead:
            raise AssertionError(f"{dead[0].name} exited\n{self.diagnostics()}")

    def stop_sensor(self, name: str, settle: float = 7.0, attempts: int = 4) -> None:
        """Stop a sensor through the API (the UI's toggle) and make sure it stays stopped.

        The daemon can undo a stop: its sensor loop reads every sensor's state, then writes it
        back when it starts a tick (dagster/_daemon/sensor.py, mark_sensor_state_for_tick), so
        a stop landing between the two is overwritten and the sensor keeps ticking. Watch the
        state for longer than one loop (5 s) and stop again if it came back."""
        for _ in range(attempts):
            assert self.api.stop_sensor(name) == "STOPPED"
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline:
                time.sleep(1.0)
                if self.api.sensor(name)["sensorState"]["status"] != "STOPPED":
                    break
            else:
                return
        raise AssertionError(f"{name} did not stay stopped\n{self.diagnostics()}")

    def wait_for(
        self, check: Callable[[], T], what: str, timeout: float, interval: float = 2.0
    ) -> T:
        """Poll `check` until it returns something truthy; fail naming `what` after `timeout`
        seconds, or at once if a service died, with the end of both logs."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what}\n{self.diagnostics()}"
                )
            time.sleep(interval)
