"""Videos made by the tests with PyAV: chosen codec, container, pixel format, rotation,
colour transfer, audio; and broken ones (truncated, zero-length, a lying duration header)."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np

HLG, BT2020 = 18, 9  # FFmpeg's AVCOL_TRC_ARIB_STD_B67, AVCOL_PRI/SPC_BT2020(_NCL)


def frame_pixels(size: tuple[int, int], index: int, bits: int = 8) -> np.ndarray:
    """RGB: the top half at 75% (HLG's reference white), the bottom half black (so a
    rotation shows), and a bar that moves (so encoders have motion to code)."""
    width, height = size
    full = 255 if bits == 8 else 65535  # rgb24 or rgb48
    pixels = np.zeros((height, width, 3), np.float64)
    pixels[: height // 2] = 0.75
    column = (index * 7) % max(1, width - 8)
    pixels[:, column : column + 8] = 0.4
    return np.round(pixels * full).astype(np.uint8 if bits == 8 else np.uint16)


def write_clip(
    path: Path,
    *,
    codec: str = "libx264",
    size: tuple[int, int] = (160, 120),
    seconds: float = 1.0,
    rate: int = 10,
    pix_fmt: str = "yuv420p",
    rotation: float | None = None,
    audio: str | None = None,
    transfer: int | None = None,
    faststart: bool = True,
    options: dict[str, str] | None = None,
) -> Path:
    """A clip of ``seconds`` at ``rate`` fps; ``audio`` names an audio encoder (a 440 Hz
    tone); ``transfer`` tags the video HDR (BT.2020 primaries and matrix with it)."""
    container = av.open(str(path), "w", options={"movflags": "+faststart"} if faststart else {})
    stream = container.add_stream(codec, rate=rate, options=options or {})
    stream.width, stream.height = size
    stream.pix_fmt = pix_fmt
    if codec == "libx265":
        stream.options = {"x265-params": "log-level=error", **(options or {})}
    if transfer is not None:
        context = stream.codec_context
        context.color_trc, context.color_primaries, context.colorspace = transfer, BT2020, BT2020
    if rotation is not None:
        stream.set_display_rotation(rotation)
    sound = container.add_stream(audio, rate=48000) if audio else None
    bits = 10 if "10" in pix_fmt else 8
    frames = round(seconds * rate)
    for index in range(frames):
        rgb = frame_pixels(size, index, bits)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24" if bits == 8 else "rgb48le")
        frame = frame.reformat(format=pix_fmt)
        frame.pts = index
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
    if sound is not None:
        samples = 1024
        for index in range(round(seconds * 48000 / samples)):
            t = (np.arange(samples) + index * samples) / 48000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            chunk = av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = 48000, index * samples
            container.mux(sound.encode(chunk))
        container.mux(sound.encode(None))
    container.close()
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cut the file: with the index first, the scan still reads it, the media data ends early."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def claim_duration(path: Path, fraction: float) -> Path:
    """Scale every duration an MP4 header states (mvhd, tkhd, mdhd) by ``fraction``: the
    streams stay as they are, the header lies (FFmpeg believes a header shorter than the
    sample tables)."""
    data = bytearray(path.read_bytes())
    for box, offset in ((b"mvhd", 16), (b"tkhd", 20), (b"mdhd", 16)):
        start = 0
        while (at := data.find(box, start)) >= 0:
            field = at + 4 + offset  # version 0 boxes: 32-bit fields
            (value,) = struct.unpack(">I", data[field : field + 4])
            data[field : field + 4] = struct.pack(">I", int(value * fraction))
            start = at + 4
    path.write_bytes(bytes(data))
    return path


def write_empty_stream(path: Path) -> Path:
    """An AVI with a video stream and no frame in it (MP4 and Matroska drop empty tracks)."""
    container = av.open(str(path), "w", format="avi")
    stream = container.add_stream("mpeg4", rate=10)
    stream.width, stream.height = 64, 48
    stream.pix_fmt = "yuv420p"
    container.start_encoding()
    container.close()
    return path
