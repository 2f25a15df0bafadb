"""Which videos to encode and to what: the transcode policy and the target, as Immich's.

``required`` encodes only what a browser cannot play; ``optimal`` also what is larger than
the target (resolution or bitrate); ``all`` everything; ``disabled`` nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from media_pipeline.video.probe import VideoProbe

POLICIES = ("required", "optimal", "all", "disabled")
RESOLUTIONS = ("480", "720", "1080", "1440", "2160", "original")
CODECS = ("h264", "hevc", "vp9", "av1")
ACCELERATIONS = ("none", "nvenc", "qsv", "vaapi", "rkmpp")

# What current browsers play (Chrome, Firefox, Safari): video codecs, audio codecs, and the
# pixel formats of each codec's decodable profiles (H.264 High 10 and 4:2:2/4:4:4 profiles
# of any codec are refused; 10-bit 4:2:0 HEVC, VP9 and AV1 play).
BROWSER_PIX_FMTS = {
    "h264": frozenset({"yuv420p", "yuvj420p"}),
    "hevc": frozenset({"yuv420p", "yuvj420p", "yuv420p10le"}),
    "vp9": frozenset({"yuv420p", "yuv420p10le"}),
    "av1": frozenset({"yuv420p", "yuv420p10le"}),
}
BROWSER_AUDIO = frozenset({"aac", "mp3", "opus", "vorbis", "flac"})
MP4_FAMILY = "mov,mp4,m4a,3gp,3g2,mj2"
MATROSKA_FAMILY = "matroska,webm"


@dataclass(frozen=True)
class EncodeSettings:
    """How a video is encoded; every field is part of the output's fingerprint."""

    codec: str = "h264"
    resolution: str = "720"  # the short side; never upscaled
    crf: int = 23
    preset: str = "medium"  # x264/x265 names; mapped for VP9, AV1 and hardware encoders
    max_bitrate: int = 0  # kbit/s cap (and the `optimal` threshold); 0: none
    audio_bitrate: int = 128  # kbit/s of AAC when audio is re-encoded
    accel: str = "none"
    tonemap: str = "hable"  # HDR (PQ/HLG) to SDR when the target is 8-bit

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("codec", self.codec, CODECS),
            ("resolution", self.resolution, RESOLUTIONS),
            ("accel", self.accel, ACCELERATIONS),
            ("tonemap", self.tonemap, ("hable", "reinhard", "clip")),
        ):
            if value not in allowed:
                raise ValueError(f"video {name} must be one of {', '.join(allowed)}, not {value!r}")
        if not 0 <= self.crf <= 63:
            raise ValueError(f"video crf must be between 0 and 63, not {self.crf}")

    def fingerprint(self) -> str:
        """Names the output file: changing any setting encodes again."""
        encoded = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha1(encoded).hexdigest()[:12]


@dataclass(frozen=True)
class VideoSettings:
    policy: str = "required"
    encode: EncodeSettings = EncodeSettings()

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"video policy must be one of {', '.join(POLICIES)}")

    def fingerprint(self) -> str:
        """The catalog's record of a decision: the policy and the encode settings."""
        return f"{self.policy}-{self.encode.fingerprint()}"


def _browser_container(probe: VideoProbe) -> bool:
    if probe.container == MP4_FAMILY:
        return True
    # WebM is Matroska restricted to VP8/VP9/AV1 with Opus/Vorbis; FFmpeg names both alike.
    return (
        probe.container == MATROSKA_FAMILY
        and probe.extension == ".webm"
        and probe.codec in {"vp8", "vp9", "av1"}
        and probe.audio_codec in {None, "opus", "vorbis"}
    )


def unplayable_reason(probe: VideoProbe) -> str | None:
    """Why a browser cannot play the file, or None when it can."""
    if probe.codec not in BROWSER_PIX_FMTS:
        return f"video codec {probe.codec} is not playable in browsers"
    if probe.pix_fmt not in BROWSER_PIX_FMTS[probe.codec]:
        return f"pixel format {probe.pix_fmt} of {probe.codec} is not playable in browsers"
    if probe.codec == "hevc" and probe.codec_tag == "hev1":
        return "HEVC tagged hev1 (Safari plays only hvc1)"
    if not _browser_container(probe):
        return f"container {probe.container} ({probe.extension}) is not playable in browsers"
    if probe.audio_codec is not None and probe.audio_codec not in BROWSER_AUDIO:
        return f"audio codec {probe.audio_codec} is not playable in browsers"
    return None


def target_height(resolution: str) -> int | None:
    return None if resolution == "original" else int(resolution)


def target_size(probe: VideoProbe, settings: EncodeSettings) -> tuple[int, int]:
    """Display size of the output: the short side at most the target, aspect kept, even."""
    width, height = probe.display_size
    limit = target_height(settings.resolution)
    short = min(width, height)
    scale = min(1.0, limit / short) if limit else 1.0
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def transcode_reason(probe: VideoProbe, settings: VideoSettings) -> str | None:
    """Why ``settings.policy`` encodes this video, or None to leave it as it is."""
    if settings.policy == "disabled":
        return None
    if settings.policy == "all":
        return "policy all"
    reason = unplayable_reason(probe)
    if reason is not None or settings.policy == "required":
        return reason
    limit = target_height(settings.encode.resolution)
    if limit is not None and min(probe.display_size) > limit:
        return f"{min(probe.display_size)}p is above the {limit}p target"
    cap = settings.encode.max_bitrate
    if cap and probe.bit_rate > cap * 1000:
        return f"{probe.bit_rate // 1000} kbit/s is above the {cap} kbit/s target"
    return None
