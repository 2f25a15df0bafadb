"""Hardware encoders (NVENC, QSV, VAAPI, RKMPP) chosen by configuration, and the software
encoder each falls back to when its device or driver is absent or it fails.

A hardware encoder is tried once per process on a small test frame: NVENC without a GPU
(no libcuda), QSV without an Intel GPU, an FFmpeg build without the encoder all fail there,
before any video is touched, with FFmpeg's own reason in the fallback message.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np

SOFTWARE = {"h264": "libx264", "hevc": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
HARDWARE = {
    "nvenc": {"h264": "h264_nvenc", "hevc": "hevc_nvenc", "av1": "av1_nvenc"},
    "qsv": {"h264": "h264_qsv", "hevc": "hevc_qsv", "vp9": "vp9_qsv", "av1": "av1_qsv"},
    "vaapi": {"h264": "h264_vaapi", "hevc": "hevc_vaapi", "vp9": "vp9_vaapi", "av1": "av1_vaapi"},
    "rkmpp": {"h264": "h264_rkmpp", "hevc": "hevc_rkmpp"},
}
# x264 preset names -> SVT-AV1 presets (0 slowest .. 13 fastest), libvpx cpu-used, NVENC p1-p7
_PRESET_ORDER = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip
_SVT_AV1 = (12, 11, 10, 9, 8, 7, 5, 4, 2, 1)
_VPX_CPU_USED = (8, 7, 6, 5, 4, 3, 2, 1, 0, 0)
_NVENC = ("p1", "p1", "p2", "p3", "p4", "p4", "p5", "p6", "p7", "p7")


@dataclass(frozen=True)
class Encoder:
    name: str  # FFmpeg encoder
    options: dict[str, str] = field(default_factory=dict)
    hardware: bool = False


def encoder_options(name: str, crf: int, preset: str, max_bitrate: int) -> dict[str, str]:
    """Quality and speed options of one encoder, from the x264-style settings."""
    rank = _PRESET_ORDER.index(preset) if preset in _PRESET_ORDER else 5
    cap = {"maxrate": f"{max_bitrate}k", "bufsize": f"{2 * max_bitrate}k"} if max_bitrate else {}
    if name == "libx264":
        return {"crf": str(crf), "preset": preset, "profile": "high", **cap}
    if name == "libx265":
        return {"crf": str(crf), "preset": preset, "x265-params": "log-level=error", **cap}
    if name == "libvpx-vp9":
        return {"crf": str(crf), "b": "0", "deadline": "good", "row-mt": "1",
                "cpu-used": str(_VPX_CPU_USED[rank]), **cap}  # fmt: skip
    if name == "libsvtav1":
        return {"crf": str(crf), "preset": str(_SVT_AV1[rank]), **cap}
    if name.endswith("_nvenc"):
        return {"preset": _NVENC[rank], "rc": "vbr", "cq": str(crf), "b": "0", **cap}
    if name.endswith("_qsv"):
        return {"preset": preset if rank <= 8 else "veryslow", "global_quality": str(crf), **cap}
    return {"qp": str(crf), **cap}  # vaapi, rkmpp: constant quantiser


def software_encoder(codec: str, crf: int, preset: str, max_bitrate: int) -> Encoder:
    name = SOFTWARE[codec]
    return Encoder(name, encoder_options(name, crf, preset, max_bitrate))


@functools.cache
def hardware_problem(name: str) -> str | None:
    """None when ``name`` opens and encodes a test frame here, else why not."""
    try:
        context = av.CodecContext.create(name, "w")
    except Exception as exc:
        return f"{name} is not in this FFmpeg build ({exc})"
    try:
        context.width, context.height = 256, 256
        context.pix_fmt = "nv12" if name.endswith("_qsv") else "yuv420p"
        context.time_base = Fraction(1, 25)
        frame = av.VideoFrame.from_ndarray(np.zeros((256, 256, 3), np.uint8), format="rgb24")
        context.encode(frame.reformat(format=context.pix_fmt))
        context.encode(None)
    except Exception as exc:
        return f"{name} cannot encode here ({exc})"
    return None


def choose_encoder(
    codec: str, accel: str, crf: int, preset: str, max_bitrate: int
) -> tuple[Encoder, str | None]:
    """The configured encoder, or the software one and the reason for falling back."""
    software = software_encoder(codec, crf, preset, max_bitrate)
    if accel == "none":
        return software, None
    name = HARDWARE[accel].get(codec)
    if name is None:
        return software, f"{accel} has no {codec} encoder: using {software.name}"
    problem = hardware_problem(name)
    if problem is not None:
        return software, f"{problem}: using {software.name}"
    return Encoder(name, encoder_options(name, crf, preset, max_bitrate), hardware=True), None
