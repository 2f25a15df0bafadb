"""`video_encodings`: a browser-playable MP4 of every video of one library that needs one,
a stage of the one runner: what is pending (`settled` with the settings' fingerprint), what
one item does (`encode_video`, pure, one video per item) and what is saved
(`save_encodings`), committed after every video (each is minutes of work).

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from sqlalchemy import ColumnElement

from media_pipeline import settings
from media_pipeline.catalog.failures import (
    FileFailure,
    record_errors,
    resolve_errors,
    unresolved_failures,
)
from media_pipeline.catalog.pending import PendingContent
from media_pipeline.catalog.store import Catalog, Library
from media_pipeline.catalog.videos import HWACCEL_STAGE, STAGE, save_encodings, settled
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.runtime.partitions import library_partitions
from media_pipeline.scan.assets import media_catalog
from media_pipeline.stages.graph import run_stage, stage_config
from media_pipeline.stages.runner import BatchConfig, BatchSummary, Made, Stage, StageWork
from media_pipeline.video.accel import Encoder, choose_encoder
from media_pipeline.video.policy import EncodeSettings, VideoSettings
from media_pipeline.video.stage import encode_video
from media_pipeline.video.worker import Timeout

ACCEL_SETTING = "MEDIA_PIPELINE_VIDEO_ACCEL"  # a machine's GPU is the deployment's business
_REPORT_EVERY = 5.0  # seconds between progress lines of one long video


class VideoConfig(BatchConfig):
    """The transcode policy and target (video/policy.py). Changing any of them decides every
    video again; encode settings name the output, so only a changed target re-encodes."""

    batch_size: int = 1  # commit after every video

    policy: str = "required"  # required | optimal | all | disabled
    codec: str = "h264"  # h264 | hevc | vp9 | av1
    resolution: str = "720"  # 480 | 720 | 1080 | 1440 | 2160 | original
    crf: int = 23
    preset: str = "medium"
    max_bitrate: int = 0  # kbit/s, 0: no cap
    audio_bitrate: int = 128
    accel: str = ""  # none | nvenc | qsv | vaapi | rkmpp; empty: MEDIA_PIPELINE_VIDEO_ACCEL
    tonemap: str = "hable"
    timeout_minimum: float = 120.0  # seconds an encode may take, plus...
    timeout_per_second: float = 20.0  # ...this many per second of video

    def settings(self) -> VideoSettings:
        return VideoSettings(
            self.policy,
            EncodeSettings(
                codec=self.codec,
                resolution=self.resolution,
                crf=self.crf,
                preset=self.preset,
                max_bitrate=self.max_bitrate,
                audio_bitrate=self.audio_bitrate,
                accel=self.accel or (settings.get(ACCEL_SETTING) or "none"),
                tonemap=self.tonemap,
            ),
        )


class _ProgressLog:
    """A long video's progress in the run's log: seconds done of total, speed."""

    def __init__(self, context: dg.OpExecutionContext, name: str) -> None:
        self.context, self.name = context, name
        self.started = self.last = time.monotonic()

    def __call__(self, done: float, duration: float) -> None:
        now = time.monotonic()
        if now - self.last >= _REPORT_EVERY:
            speed = done / (now - self.started)
            self.context.log.info(
                f"video {self.name}: {done:.1f}/{duration:.1f} s, {speed:.2f}x real time"
            )
            self.last = now


def _ledger_line(store: Catalog, library: Library, rel_path: str, message: str | None) -> None:
    """One ledger line per batch for a hardware encoder that fell back to software; a batch
    whose hardware encoder works resolves the old ones."""
    with store.transaction() as writer:
        if message is None:
            stale = list(unresolved_failures(store, library.id, HWACCEL_STAGE))
            resolve_errors(writer, library.id, HWACCEL_STAGE, stale)
        else:
            record_errors(writer, library.id, [FileFailure(rel_path, HWACCEL_STAGE, message)])


def _settings(config: VideoConfig) -> VideoSettings:
    try:
        return config.settings()
    except ValueError as exc:
        raise dg.Failure(str(exc)) from exc


class _Encoding(StageWork):
    def __init__(
        self,
        context: dg.OpExecutionContext,
        store: Catalog,
        library: Library,
        home: Path,
        config: VideoConfig,
    ) -> None:
        self.context, self.store, self.library, self.home = context, store, library, home
        self.settings = _settings(config)
        self.timeout = Timeout(config.timeout_minimum, config.timeout_per_second)
        target = self.settings.encode
        self.encoder: Encoder | None = None
        self.fallback: str | None = None
        if self.settings.policy != "disabled":
            self.encoder, self.fallback = choose_encoder(
                target.codec, target.accel, target.crf, target.preset, target.max_bitrate
            )
            if self.fallback:
                context.log.warning(f"hardware acceleration unavailable: {self.fallback}")
            elif self.encoder.hardware:
                _ledger_line(store, library, "", None)
        self.fallback_logged = False
        self.info = {
            "encoder": self.encoder.name if self.encoder else "",
            "hardware_fallback": self.fallback or "",
            "encoder_peak_memory_mb": 0.0,
        }

    def results(self, items: Iterator[PendingContent]) -> Iterator[tuple[PendingContent, Any]]:
        for pending in items:
            try:
                outcome = encode_video(
                    self.library.absolute(pending.rel_path),
                    pending.content_hash,
                    self.home,
                    self.settings,
                    self.encoder,
                    self.timeout,
                    _ProgressLog(self.context, pending.rel_path),
                )
            except Exception as exc:  # a bad video fails its file, not the batch
                yield pending, exc
                continue
            yield pending, self._made(pending, outcome)

    def _made(self, pending: PendingContent, outcome) -> Made:
        made = outcome.encoding
        kind = "encoded" if outcome.seconds else "reused" if made.encoded_path else "kept"
        counts: dict[str, float] = {kind: 1}
        if outcome.seconds:
            counts.update(video_seconds=made.duration or 0.0, encode_seconds=outcome.seconds)
            peak = max(self.info["encoder_peak_memory_mb"], outcome.peak_memory_mb)
            self.info["encoder_peak_memory_mb"] = peak
            self.context.log.info(
                f"video {pending.rel_path}: {made.width}x{made.height} {made.encoder}, "
                f"{made.duration:.1f} s in {outcome.seconds:.1f} s ({made.reason})"
            )
        problem = outcome.fallback or self.fallback
        if problem and made.encoder and not self.fallback_logged:
            _ledger_line(self.store, self.library, pending.rel_path, problem)
            self.fallback_logged = True
        return Made(made, counts)

    def save(self, rows: Sequence[Any]) -> None:
        save_encodings(self.store, self.settings.fingerprint(), rows)


class VideoEncodings(Stage[VideoConfig]):
    name = "video_encodings"
    ledger = STAGE
    progress = "video encodings"
    config = VideoConfig
    done_key = "checked"
    rate_key = "videos_per_second"
    batch_files = 10  # videos: each is seconds to minutes of encoding
    pool = "video"
    counters = ("encoded", "reused", "kept", "video_seconds", "encode_seconds")

    def done(self, config: VideoConfig, paths: MediaPaths) -> ColumnElement[bool]:
        return settled(_settings(config).fingerprint())

    def open(self, context, config, paths, store) -> StageWork:
        library = store.library(context.partition_key)
        return _Encoding(context, store, library, paths.root(), config)

    def describe(
        self,
        config: VideoConfig,
        metadata: dict[str, Any],
        summaries: Sequence[BatchSummary],
        store: Catalog,
        home: Path,
    ) -> dict[str, Any]:
        settings = _settings(config)
        video, encode = metadata["video_seconds"], metadata["encode_seconds"]
        peaks = [s.info.get("encoder_peak_memory_mb", 0.0) for s in summaries]
        return {
            "policy": settings.policy,
            "settings": settings.fingerprint(),
            "video_seconds": round(video, 3),
            "encode_seconds": round(encode, 3),
            "speed_x_realtime": round(video / encode, 2) if encode else 0.0,
            "encoder_peak_memory_mb": max(peaks, default=0.0),
        }


VIDEO_ENCODINGS = VideoEncodings()


@dg.graph_asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    ins={"media_catalog": dg.AssetIn(media_catalog.key, dagster_type=dg.Nothing)},
    config=stage_config(VIDEO_ENCODINGS),
    kinds={"python", "ffmpeg", "mp4"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "Video encoding: an H.264/AAC MP4 (faststart, 720p by default) of every video a "
        "browser cannot play (policy `required`), rotation applied, HDR tone-mapped; "
        "content-addressed under MEDIA_PIPELINE_HOME/videos."
    ),
)
def video_encodings(media_catalog):
    return run_stage(VIDEO_ENCODINGS, media_catalog)
