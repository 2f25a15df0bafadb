"""The transcode policy and target size, on probes of the kinds of videos people have."""

from __future__ import annotations

from dataclasses import replace

import pytest

from media_pipeline.video.policy import (
    EncodeSettings,
    VideoSettings,
    target_size,
    transcode_reason,
    unplayable_reason,
)
from media_pipeline.video.probe import VideoProbe

IPHONE = VideoProbe(
    container="mov,mp4,m4a,3gp,3g2,mj2", extension=".mov", codec="hevc", codec_tag="hvc1",
    profile="Main 10", pix_fmt="yuv420p10le", width=3840, height=2160, rotation=270,
    duration=12.0, bit_rate=50_000_000, transfer="hlg", audio_codec="aac",
)  # fmt: skip
WEB = replace(
    IPHONE, extension=".mp4", codec="h264", codec_tag="avc1", profile="High",
    pix_fmt="yuv420p", width=1280, height=720, rotation=0, bit_rate=2_000_000, transfer=None,
)  # fmt: skip
WEBM = replace(WEB, container="matroska,webm", extension=".webm", codec="vp9", audio_codec="opus")


@pytest.mark.parametrize(
    ("probe", "reason"),
    [
        (WEB, None),
        (IPHONE, None),  # 10-bit HEVC in MOV, tagged hvc1: Safari and Chrome play it
        (replace(IPHONE, codec_tag="hev1"), "HEVC tagged hev1"),
        (replace(WEB, container="avi", extension=".avi", codec="mpeg4"), "video codec mpeg4"),
        (replace(WEB, pix_fmt="yuv420p10le"), "pixel format yuv420p10le of h264"),
        (replace(WEB, codec="hevc", codec_tag="hvc1", pix_fmt="yuv422p"), "pixel format"),
        (replace(WEB, container="matroska,webm", extension=".mkv"), "container matroska"),
        (WEBM, None),
        (replace(WEB, audio_codec="pcm_s16le"), "audio codec pcm_s16le"),
        (replace(WEB, audio_codec=None), None),
    ],
)
def test_what_browsers_cannot_play(probe: VideoProbe, reason: str | None) -> None:
    found = unplayable_reason(probe)
    assert (found is None) == (reason is None), found
    if reason is not None:
        assert found.startswith(reason)


def test_each_policy() -> None:
    avi = replace(WEB, container="avi", extension=".avi", codec="mpeg4")
    decide = {
        policy: [transcode_reason(probe, VideoSettings(policy)) for probe in (WEB, IPHONE, avi)]
        for policy in ("required", "optimal", "all", "disabled")
    }
    assert [r is not None for r in decide["required"]] == [False, False, True]
    assert decide["optimal"][1] == "2160p is above the 720p target"
    assert [r is not None for r in decide["optimal"]] == [False, True, True]
    assert decide["all"] == ["policy all"] * 3
    assert decide["disabled"] == [None] * 3
    capped = VideoSettings("optimal", EncodeSettings(resolution="original", max_bitrate=1000))
    assert transcode_reason(WEB, capped) == "2000 kbit/s is above the 1000 kbit/s target"


def test_target_size_keeps_the_aspect_never_upscales_and_turns_with_rotation() -> None:
    assert target_size(IPHONE, EncodeSettings()) == (720, 1280)  # upright phone video
    assert target_size(WEB, EncodeSettings(resolution="1080")) == (1280, 720)
    assert target_size(replace(WEB, width=1440, height=1080), EncodeSettings()) == (960, 720)
    assert target_size(IPHONE, EncodeSettings(resolution="original")) == (2160, 3840)


def test_settings_are_checked_and_fingerprinted() -> None:
    with pytest.raises(ValueError, match="video codec must be one of"):
        EncodeSettings(codec="mpeg2")
    with pytest.raises(ValueError, match="video policy must be one of"):
        VideoSettings("sometimes")
    base = EncodeSettings()
    assert base.fingerprint() == EncodeSettings().fingerprint()
    assert base.fingerprint() != EncodeSettings(crf=24).fingerprint()
    assert VideoSettings("all").fingerprint() != VideoSettings("required").fingerprint()
