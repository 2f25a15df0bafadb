"""What the transcode policy needs to know about a video, read with PyAV (FFmpeg)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import av

from media_pipeline.metadata.errors import MediaError, content_errors, is_io_error

# FFmpeg's AVColorTransferCharacteristic values of HDR transfers.
TRC_PQ = 16  # SMPTE ST 2084
TRC_HLG = 18  # ARIB STD-B67
HDR_TRANSFERS = {TRC_PQ: "pq", TRC_HLG: "hlg"}
_MAX_PACKETS_TO_FIRST_FRAME = 500


class VideoError(MediaError):
    """A video that cannot be encoded; ``str(e)`` is the ledger's message."""


@dataclass(frozen=True)
class VideoProbe:
    container: str  # FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    extension: str  # lower case, with the dot
    codec: str  # FFmpeg decoder name: h264, hevc, vp9, av1, mpeg4, ...
    codec_tag: str  # the container's fourcc (hvc1 or hev1 for HEVC in MP4/MOV)
    profile: str | None
    pix_fmt: str
    width: int  # coded size, before rotation
    height: int
    rotation: int  # display rotation, degrees counter-clockwise, a multiple of 90
    duration: float  # seconds, as the header says
    bit_rate: int  # bits/s of the whole file (0 when unknown)
    transfer: str | None  # "pq", "hlg" or None (SDR)
    audio_codec: str | None  # None: no audio

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown, rotation applied."""
        if self.rotation % 180:
            return self.height, self.width
        return self.width, self.height


def _first_frame(container: av.container.InputContainer, stream: av.VideoStream) -> av.VideoFrame:
    for count, packet in enumerate(container.demux(stream)):
        for frame in packet.decode():
            return frame
        if count >= _MAX_PACKETS_TO_FIRST_FRAME:
            break
    raise VideoError("video is corrupt or empty: no decodable frame")


def probe(path: str) -> VideoProbe:
    """Describe ``path``, decoding its first frame (proof that it decodes, and the frame
    carries the display rotation); VideoError for bad content, OSError when unreadable."""
    try:
        container = av.open(path, metadata_errors="replace")
    except Exception as exc:
        if is_io_error(exc):
            raise
        raise VideoError(f"not a readable video: {getattr(exc, 'strerror', None) or exc}") from exc
    try:
        with content_errors(VideoError, "video is corrupt"):
            return _describe(container, path)
    finally:
        container.close()


def video_stream(container: av.container.InputContainer) -> av.VideoStream:
    """The first real video stream (cover art in MP4/MKV is a video stream too)."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise VideoError("no video stream")


def _describe(container: av.container.InputContainer, path: str) -> VideoProbe:
    stream = video_stream(container)
    context = stream.codec_context
    if stream.frames == 0 and not stream.duration and not container.duration:
        raise VideoError("the video stream is empty (zero length)")
    duration = (
        container.duration / av.time_base
        if container.duration and container.duration > 0
        else float((stream.duration or 0) * (stream.time_base or 0))
    )
    frame = _first_frame(container, stream)
    audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
    return VideoProbe(
        container=container.format.name,
        extension=os.path.splitext(path)[1].lower(),
        codec=context.name,
        codec_tag=(stream.codec_tag or "").strip("\0 ").lower(),
        profile=context.profile,
        pix_fmt=frame.format.name,
        width=frame.width,
        height=frame.height,
        rotation=round(float(frame.rotation or 0) / 90) * 90 % 360,
        duration=duration,
        bit_rate=int(container.bit_rate or 0),
        transfer=HDR_TRANSFERS.get(int(frame.color_trc or 0)),
        audio_codec=audio,
    )
