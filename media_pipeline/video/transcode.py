"""Encoding one video with PyAV: decode, filter (scale, rotate, tone map), encode, mux.

Why PyAV and not the ``ffmpeg`` binary: measured (bench/video.py, 30 s 1080p to 720p x264
medium on 2 shared cores) at 0.98x the command line's speed, within the noise, with the same
peak memory; it needs no system package, its FFmpeg (8.1) has every encoder the settings name,
and errors, progress and the duration check stay in Python. The child process in worker.py
gives what a subprocess would: it can be killed at once.

Output: MP4 with the index first (``+faststart``), the video in the target codec at the
target size with the rotation applied to the pixels (players need no display matrix), the
audio copied when MP4 and browsers take it as it is, otherwise AAC.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
from av.video.frame import PictureType

from media_pipeline.video.accel import Encoder
from media_pipeline.video.policy import EncodeSettings, target_size
from media_pipeline.video.probe import VideoError, VideoProbe, video_stream
from media_pipeline.video.tonemap import cube_lut

COPY_AUDIO = frozenset({"aac", "mp3"})  # into MP4, browsers play these as they are
_BT709 = 1  # AVCOL_PRI/TRC/SPC_BT709
_MAX_DECODE_ERRORS = 50


@dataclass(frozen=True)
class EncodeJob:
    source: str
    target: str  # written in place; the caller makes it a temporary name
    probe: VideoProbe
    settings: EncodeSettings
    encoder: Encoder


@dataclass(frozen=True)
class Encoded:
    encoder: str
    width: int
    height: int
    duration: float  # seconds of video decoded and encoded
    frames: int
    seconds: float  # wall time
    tone_mapped: bool
    peak_memory_mb: float = 0.0  # of the process that encoded (set by worker.py)


def tone_maps(probe: VideoProbe, settings: EncodeSettings) -> bool:
    """HDR into an 8-bit target (H.264) is tone-mapped; other codecs keep 10-bit HDR."""
    return probe.transfer is not None and settings.codec == "h264"


def output_pix_fmt(probe: VideoProbe, encoder: Encoder, settings: EncodeSettings) -> str:
    if encoder.name.endswith("_qsv"):
        return "nv12"
    if settings.codec != "h264" and probe.transfer is not None:
        return "yuv420p10le"
    return "yuv420p"


def filter_chain(
    probe: VideoProbe, size: tuple[int, int], pix_fmt: str, lut_path: str | None
) -> list[tuple[str, str]]:
    """(filter, arguments) from the decoded frames to the encoder's frames. Scaling comes
    first (the LUT and the rotation then work on fewer pixels)."""
    width, height = size if probe.rotation % 180 == 0 else (size[1], size[0])
    chain: list[tuple[str, str]] = []
    if lut_path is not None:
        chain += [
            ("scale", f"{width}:{height}:in_color_matrix=bt2020:in_range=tv"),
            ("format", "gbrp16le"),
            ("lut3d", f"file={_escape(lut_path)}:interp=tetrahedral"),
            ("scale", "out_color_matrix=bt709:out_range=tv"),
        ]
    elif (width, height) != (probe.width, probe.height):
        chain.append(("scale", f"{width}:{height}"))
    chain += {
        90: [("transpose", "cclock")],
        180: [("hflip", ""), ("vflip", "")],
        270: [("transpose", "clock")],
    }.get(probe.rotation, [])
    chain.append(("format", pix_fmt))
    return chain


def _escape(path: str) -> str:
    return path.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")


def _graph(stream: av.VideoStream, chain: list[tuple[str, str]]) -> av.filter.Graph:
    graph = av.filter.Graph()
    node = graph.add_buffer(template=stream)
    for name, args in chain:
        following = graph.add(name, args) if args else graph.add(name)
        node.link_to(following)
        node = following
    node.link_to(graph.add("buffersink"))
    graph.configure()
    return graph


def _pull(graph: av.filter.Graph) -> list[av.VideoFrame]:
    """The frames the graph has ready, their picture types cleared: the decoder's types
    (I/P of the source) would otherwise force the encoder's, and forbid its B-frames, as
    FFmpeg's command line knows to avoid."""
    frames = []
    while True:
        try:
            frame = graph.vpull()
        except (av.BlockingIOError, av.EOFError):
            return frames
        frame.pict_type = PictureType.NONE
        frames.append(frame)


def encode(job: EncodeJob, progress: Callable[[float], None] | None = None) -> Encoded:
    """Encode ``job.source`` into ``job.target``; VideoError when the input is bad."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="media-pipeline-lut-") as scratch:
        lut_path = None
        if tone_maps(job.probe, job.settings):
            lut_path = os.path.join(scratch, "tonemap.cube")
            with open(lut_path, "w") as out:
                out.write(cube_lut(job.probe.transfer or "pq", job.settings.tonemap))
        result = _encode(job, lut_path, progress)
    return Encoded(**{**result, "seconds": time.monotonic() - started})


def _encode(job: EncodeJob, lut_path: str | None, progress: Callable[[float], None] | None):
    probe, settings, encoder = job.probe, job.settings, job.encoder
    size = target_size(probe, settings)
    pix_fmt = output_pix_fmt(probe, encoder, settings)
    source = av.open(job.source, metadata_errors="replace")
    try:
        video = video_stream(source)
        video.thread_type = "AUTO"
        audio = source.streams.audio[0] if source.streams.audio else None
        target = av.open(job.target, "w", format="mp4", options={"movflags": "+faststart"})
        try:
            rate = video.average_rate or video.guessed_rate or Fraction(30)
            out_video = target.add_stream(encoder.name, rate=rate, options=encoder.options)
            out_video.width, out_video.height = size
            out_video.pix_fmt = pix_fmt
            out_video.time_base = video.time_base
            out_video.codec_context.time_base = video.time_base
            out_video.codec_context.framerate = rate  # x264's rate control reads it
            # Frame threads, as FFmpeg's command line (PyAV's default, slices, costs
            # compression and speed).
            out_video.codec_context.thread_type = "FRAME"
            out_video.codec_context.thread_count = 0
            if settings.max_bitrate:
                out_video.codec_context.bit_rate = settings.max_bitrate * 1000
            if settings.codec == "hevc":
                out_video.codec_tag = "hvc1"  # Safari plays HEVC only with this tag
            context = out_video.codec_context
            if lut_path is not None:
                context.color_primaries = context.color_trc = context.colorspace = _BT709
            elif pix_fmt == "yuv420p10le":
                decoder = video.codec_context
                context.color_primaries = decoder.color_primaries
                context.color_trc = decoder.color_trc
                context.colorspace = decoder.colorspace
            out_audio = None
            copy_audio = audio is not None and audio.codec_context.name in COPY_AUDIO
            if audio is not None:
                if copy_audio:
                    out_audio = target.add_stream_from_template(audio)
                else:
                    out_audio = target.add_stream("aac", rate=audio.rate or 48000)
                    out_audio.bit_rate = settings.audio_bitrate * 1000
                    if audio.layout is not None:
                        out_audio.layout = audio.layout.name
            graph = _graph(video, filter_chain(probe, size, pix_fmt, lut_path))
            first: float | None = None
            last = 0.0
            frames = errors = 0
            streams = [video] + ([audio] if audio is not None else [])
            for packet in source.demux(streams):
                if packet.stream is audio:
                    if copy_audio and packet.dts is not None:
                        packet.stream = out_audio
                        target.mux(packet)
                    elif not copy_audio and out_audio is not None:
                        try:
                            for samples in packet.decode():
                                samples.pts = None
                                target.mux(out_audio.encode(samples))
                        except av.InvalidDataError:
                            errors += 1
                    continue
                try:
                    decoded = packet.decode()
                except av.InvalidDataError:
                    errors += 1
                    if errors > _MAX_DECODE_ERRORS and frames == 0:
                        raise VideoError("video is corrupt: nothing decodes") from None
                    continue
                for frame in decoded:
                    if frame.time is not None:
                        if first is None:
                            first = frame.time
                        last = max(last, frame.time)
                    graph.vpush(frame)
                    for filtered in _pull(graph):
                        target.mux(out_video.encode(filtered))
                        frames += 1
                    if progress is not None and first is not None:
                        progress(last - first)
            graph.vpush(None)
            for filtered in _pull(graph):
                target.mux(out_video.encode(filtered))
                frames += 1
            target.mux(out_video.encode(None))
            if out_audio is not None and not copy_audio:
                target.mux(out_audio.encode(None))
        finally:
            target.close()
    except VideoError:
        raise
    except av.FFmpegError as exc:
        raise VideoError(f"video is corrupt: {exc}") from exc
    finally:
        source.close()
    if frames == 0:
        raise VideoError("the video stream is empty (zero length): no frame decodes")
    frame_time = float(1 / rate) if rate else 0.0
    duration = (last - (first or 0.0)) + frame_time
    if probe.duration > 0 and abs(duration - probe.duration) > max(1.0, 0.05 * probe.duration):
        raise VideoError(
            f"the duration header says {probe.duration:.1f} s but the video holds "
            f"{duration:.1f} s (truncated, or the header lies)"
        )
    return {
        "encoder": encoder.name,
        "width": size[0],
        "height": size[1],
        "duration": round(duration, 3),
        "frames": frames,
        "tone_mapped": lut_path is not None,
    }
