"""Terminating a run mid-encode stops the encoder at once and leaves no partial file; the
next run encodes the video."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg

from media_pipeline import settings
from media_pipeline.definitions import defs
from media_pipeline_tests.cli_runner import run_cli
from media_pipeline_tests.video.clips import write_clip


def _wait_for(condition, timeout: float = 180.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _encoders_of(home: Path) -> list[int]:
    """Spawned children (the encoder) of a run on this test's home: they inherit its
    environment. (multiprocessing's resource tracker, which exits by itself just after its
    parent, is not one.)"""
    marker = f"MEDIA_PIPELINE_HOME={home}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0") and b"spawn_main" in command:
                found.append(int(entry))
    return found


def test_terminated_encode_leaves_nothing_and_the_next_run_encodes(mp, instance, tmp_path):
    root = tmp_path / "long"
    root.mkdir()
    # 720p: no scaling, seconds of encoding at the default preset on a small machine.
    write_clip(root / "long.avi", codec="mpeg4", size=(1280, 720), seconds=20, rate=25,
               faststart=False)  # fmt: skip
    mp("library", "add", "long", str(root))
    mp("run", "--select", "media_catalog")
    home = settings.media_home()
    videos = home / "videos"

    process = run_cli("run", "--select", "video_encodings")
    try:
        _wait_for(lambda: list(videos.rglob(".tmp-*")), what="the encoder's temporary file")
        [record] = instance.get_run_records(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
        )
        instance.run_coordinator.cancel_run(record.dagster_run.run_id)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    run = instance.get_run_by_id(record.dagster_run.run_id)
    assert run.status == dg.DagsterRunStatus.CANCELED, stderr
    assert [p for p in videos.rglob("*") if p.is_file()] == [], stderr
    assert _encoders_of(home) == [], stderr  # the encoder is gone too

    result = defs.resolve_job_def("library_pipeline").execute_in_process(
        instance=instance,
        partition_key="long",
        asset_selection=[dg.AssetKey("video_encodings")],
        run_config={"ops": {"video_encodings": {"config": {"preset": "ultrafast"}}}},
    )
    assert result.success
    [encoded] = [p for p in videos.rglob("*") if p.is_file()]
    assert encoded.suffix == ".mp4" and not encoded.name.startswith(".tmp-")
