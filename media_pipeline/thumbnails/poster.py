"""Poster frames of videos: at 10% of the duration, or the first non-black frame after it,
scaled by FFmpeg to the preview size and converted to sRGB (HDR tone-mapped)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from media_pipeline.thumbnails.colour import convert_to_srgb
from media_pipeline.thumbnails.outputs import RenderError, RenderSettings, check_pixels, fit

_POSTER_AT = 0.10  # of the duration
_MAX_POSTER_FRAMES = 150  # decoded looking for a non-black frame (5 s at 30 fps)
_MAX_PACKETS = 2000  # demuxed without a frame before giving up
_BLACK_MEAN, _BLACK_PEAK = 20.0, 48  # RGB levels of a "black" frame (fades, lens cap)


class StillImage(Exception):
    """FFmpeg found a still image in a file with a video extension."""


def poster(container: Any, settings: RenderSettings) -> tuple[Image.Image, float]:
    """The poster frame as a preview-sized sRGB image, and the display rotation."""
    import av

    from media_pipeline.metadata.video import IMAGE_DEMUXERS, STILL_BRANDS

    tags = {key.lower(): value for key, value in container.metadata.items()}
    brand = (tags.get("major_brand") or "").strip().lower()
    name = container.format.name
    if name in IMAGE_DEMUXERS or name.endswith("_pipe") or brand in STILL_BRANDS:
        raise StillImage
    streams = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not streams:
        raise RenderError("not a video: no video stream")
    stream = streams[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width and height:
        check_pixels(width, height, settings)
    stream.thread_type = "AUTO"
    duration = None
    if container.duration and container.duration > 0:
        duration = container.duration / av.time_base
    elif stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    frame = None
    if duration and duration > 0:
        frame = _first_bright_frame(container, stream, duration * _POSTER_AT)
    if frame is None:  # no duration, seeking failed, or nothing after the seek point
        container.seek(0)
        frame = _first_bright_frame(container, stream, 0.0)
    if frame is None:
        raise RenderError("video is corrupt: no decodable frame")
    check_pixels(frame.width, frame.height, settings)
    sar = stream.codec_context.sample_aspect_ratio
    image = _frame_image(frame, settings, float(sar) if sar else 1.0)
    return image, float(getattr(frame, "rotation", 0) or 0)


def _first_bright_frame(container: Any, stream: Any, start: float) -> Any | None:
    """The first non-black frame at or after ``start`` seconds (within a few seconds), or
    the first frame there when all are black; None when none decodes."""
    if start > 0:
        try:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        except Exception:
            return None
    first = None
    seen = packets = 0
    for packet in container.demux(stream):
        packets += 1
        for frame in packet.decode():
            if frame.time is not None and frame.time < start - 1e-3:
                continue  # decoding forward from the key frame before the seek point
            if first is None:
                first = frame
            if not _is_black(frame):
                return frame
            seen += 1
        if seen >= _MAX_POSTER_FRAMES or (first is None and packets >= _MAX_PACKETS):
            return first
    return first


def _is_black(frame: Any) -> bool:
    height = max(1, 32 * frame.height // max(frame.width, 1))
    rgb = frame.reformat(width=32, height=height, format="rgb24").to_ndarray()
    return float(rgb.mean()) < _BLACK_MEAN and int(rgb.max()) < _BLACK_PEAK


def _frame_image(frame: Any, settings: RenderSettings, sar: float) -> Image.Image:
    """The frame scaled by FFmpeg to the preview size (display aspect), in sRGB."""
    width, height = frame.width, frame.height
    if sar > 0 and sar != 1.0:  # non-square pixels (DV, some phones)
        width = max(1, round(width * sar))
    target = fit(width, height, settings.preview_size)
    range_ = {"src_color_range": frame.color_range} if frame.color_range else {}
    transfer = int(frame.color_trc or 0)
    primaries = int(frame.color_primaries or 0)
    if transfer in (16, 18) or primaries not in (0, 1, 2):
        scaled = frame.reformat(
            width=target[0],
            height=target[1],
            format="rgb48le",
            interpolation="LANCZOS",
            **range_,
        )
        rgb = scaled.to_ndarray().astype(np.float32) / 65535
        return Image.fromarray(convert_to_srgb(rgb, primaries, transfer), "RGB")
    scaled = frame.reformat(
        width=target[0], height=target[1], format="rgb24", interpolation="LANCZOS", **range_
    )
    return Image.fromarray(scaled.to_ndarray(), "RGB")
