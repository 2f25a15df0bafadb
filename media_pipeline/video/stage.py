"""What the video stage does for one video: decide by the policy, encode when needed (in a
killable child, to a temporary name renamed when complete), say what it made.

Encodings are content-addressed under MEDIA_PIPELINE_HOME/videos and named by the encode
settings' fingerprint: moved and copied files share one encoding, changed settings write a
new one, and a policy change that keeps the encode settings reuses what is there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.catalog.videos import VideoEncoding
from media_pipeline.home import VIDEOS
from media_pipeline.video.accel import Encoder, software_encoder
from media_pipeline.video.policy import EncodeSettings, VideoSettings, transcode_reason
from media_pipeline.video.probe import VideoError, probe
from media_pipeline.video.transcode import Encoded, EncodeJob
from media_pipeline.video.worker import DEFAULT_TIMEOUT, Timeout, encode_in_child


def encoding_path(content_hash: str, settings: EncodeSettings) -> str:
    """Relative to MEDIA_PIPELINE_HOME."""
    folder = os.path.join(VIDEOS, content_hash[:2], content_hash[2:4])
    return os.path.join(folder, f"{content_hash}-{settings.fingerprint()}.mp4")


@dataclass(frozen=True)
class VideoOutcome:
    encoding: VideoEncoding
    fallback: str | None = None  # a hardware encoder failed on this video: software took over
    seconds: float = 0.0  # encode wall time (0: nothing encoded)
    peak_memory_mb: float = 0.0  # of the encoder process


def encode_video(
    source: str,
    content_hash: str,
    home: Path,
    settings: VideoSettings,
    encoder: Encoder | None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    progress: Callable[[float, float], None] | None = None,
) -> VideoOutcome:
    """One video's outcome; VideoError for bad input, OSError when it cannot be read.
    ``progress(seconds done, seconds total)`` is called about once a second while encoding."""
    described = probe(source)
    reason = transcode_reason(described, settings)
    if reason is None:
        why = "policy disabled" if settings.policy == "disabled" else "plays in browsers as it is"
        return VideoOutcome(VideoEncoding(content_hash, None, why))
    rel_path = encoding_path(content_hash, settings.encode)
    target = home / rel_path
    if target.is_file():  # made before under another policy with the same encode settings
        return VideoOutcome(
            VideoEncoding(content_hash, rel_path, reason, bytes=target.stat().st_size)
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".tmp-{os.getpid()}-{target.name}")

    def report(done: float) -> None:
        if progress is not None:
            progress(done, described.duration)

    if encoder is None:
        raise ValueError("an encoder is needed when the policy encodes")

    def run(chosen: Encoder) -> Encoded:
        job = EncodeJob(source, str(temporary), described, settings.encode, chosen)
        return encode_in_child(job, report, timeout)

    fallback = None
    try:
        result = run(encoder)
    except VideoError as exc:
        if not encoder.hardware:
            raise
        software = software_encoder(
            settings.encode.codec, settings.encode.crf, settings.encode.preset,
            settings.encode.max_bitrate,
        )  # fmt: skip
        fallback = f"{encoder.name} failed on this video ({exc}): using {software.name}"
        result = run(software)
    os.replace(temporary, target)
    return VideoOutcome(
        VideoEncoding(
            content_hash,
            rel_path,
            reason,
            encoder=result.encoder,
            width=result.width,
            height=result.height,
            duration=result.duration,
            bytes=target.stat().st_size,
        ),
        fallback,
        result.seconds,
        result.peak_memory_mb,
    )
