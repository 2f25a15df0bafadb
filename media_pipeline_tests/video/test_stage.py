"""One video through the stage's item function: bad input is a clear VideoError and leaves
no file; a hardware encoder that is absent falls back to software."""

from __future__ import annotations

from pathlib import Path

import pytest

from media_pipeline.video.accel import choose_encoder, software_encoder
from media_pipeline.video.policy import VideoSettings
from media_pipeline.video.probe import VideoError, probe
from media_pipeline.video.stage import encode_video
from media_pipeline.video.transcode import EncodeJob
from media_pipeline.video.worker import Timeout, encode_in_child
from media_pipeline_tests.video.clips import (
    claim_duration,
    truncate,
    write_clip,
    write_empty_stream,
)

ALL = VideoSettings("all")
SOFTWARE = software_encoder("h264", 23, "ultrafast", 0)


def _bad(path: Path, tmp_path: Path) -> str:
    home = tmp_path / "home"
    with pytest.raises(VideoError) as raised:
        encode_video(str(path), "ab" * 16, home, ALL, SOFTWARE)
    assert not [p for p in home.rglob("*") if p.is_file()]  # no partial file
    return str(raised.value)


def test_bad_videos_are_clear_errors(tmp_path: Path) -> None:
    assert _bad(write_empty_stream(tmp_path / "empty.avi"), tmp_path) == (
        "the video stream is empty (zero length)"
    )
    lying = claim_duration(write_clip(tmp_path / "lying.mp4", seconds=4), 0.25)
    assert _bad(lying, tmp_path) == (
        "the duration header says 1.0 s but the video holds 4.0 s (truncated, or the header lies)"
    )
    cut = truncate(write_clip(tmp_path / "cut.mp4", seconds=4, size=(320, 240)), 0.5)
    assert "truncated, or the header lies" in _bad(cut, tmp_path)
    moov_last = truncate(write_clip(tmp_path / "no-index.mp4", faststart=False), 0.5)
    assert _bad(moov_last, tmp_path).startswith("not a readable video")
    (tmp_path / "noise.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    assert _bad(tmp_path / "noise.mp4", tmp_path).startswith(("not a readable video", "video"))


def test_an_absent_hardware_encoder_falls_back_to_software(tmp_path: Path) -> None:
    # No VAAPI in PyAV's FFmpeg build: the same on every machine.
    encoder, fallback = choose_encoder("h264", "vaapi", 23, "medium", 0)
    assert encoder.name == "libx264" and not encoder.hardware
    assert fallback.startswith("h264_vaapi is not in this FFmpeg build") and "libx264" in fallback
    _, no_encoder = choose_encoder("vp9", "rkmpp", 23, "medium", 0)
    assert no_encoder == "rkmpp has no vp9 encoder: using libvpx-vp9"
    clip = write_clip(tmp_path / "clip.avi", codec="mpeg4", faststart=False)
    outcome = encode_video(str(clip), "cd" * 16, tmp_path / "home", ALL, encoder)
    assert outcome.encoding.encoder == "libx264" and outcome.encoding.duration == 1.0


def test_an_encode_past_its_timeout_is_killed_and_leaves_no_file(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.avi", codec="mpeg4", faststart=False)
    target = tmp_path / "out.mp4"
    job = EncodeJob(str(clip), str(target), probe(str(clip)), ALL.encode, SOFTWARE)
    with pytest.raises(VideoError, match=r"^encoder timed out after 0 s"):
        encode_in_child(job, timeout=Timeout(minimum=0.001, per_second=0.0))
    assert not target.exists()
    assert Timeout().limit(30.0) == 120.0 + 20.0 * 30.0
