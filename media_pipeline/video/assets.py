"""`video_encodings`: a browser-playable MP4 of every video of one library that needs one.

Shaped as the stage runner's three declarations, so it ports onto it as is: what is
pending (`settled` with the settings' fingerprint), what one item does (`encode_video`,
pure, one video per item) and what is saved (`save_encodings`); the loop here only joins
them, logs progress and commits after every video (each is minutes of work).

Dagster reads the annotations of asset parameters: no `from __future__ import annotations`.
"""

import time

import dagster as dg

from media_pipeline import settings
from media_pipeline.catalog.pending import count_pending, iter_pending
from media_pipeline.catalog.resource import CatalogResource
from media_pipeline.catalog.stage_batch import StageBatch
from media_pipeline.catalog.store import Catalog, FileFailure, Library
from media_pipeline.catalog.videos import HWACCEL_STAGE, STAGE, save_encodings, settled
from media_pipeline.jobs.partitions import library_partitions, partition_library
from media_pipeline.jobs.progress import format_progress
from media_pipeline.jobs.retries import retry_transient
from media_pipeline.metadata.errors import read_failure
from media_pipeline.paths import MediaPaths
from media_pipeline.pipeline import LIBRARY_GROUP
from media_pipeline.scan.assets import media_catalog
from media_pipeline.video.accel import choose_encoder
from media_pipeline.video.policy import EncodeSettings, VideoSettings
from media_pipeline.video.probe import VideoError
from media_pipeline.video.stage import encode_video
from media_pipeline.video.worker import Timeout

ACCEL_SETTING = "MEDIA_PIPELINE_VIDEO_ACCEL"  # a machine's GPU is the deployment's business
_REPORT_EVERY = 5.0  # seconds between progress lines of one long video


class VideoConfig(dg.Config):
    """The transcode policy and target (video/policy.py). Changing any of them decides every
    video again; encode settings name the output, so only a changed target re-encodes."""

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

    def __init__(self, context: dg.AssetExecutionContext, name: str) -> None:
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
    """One ledger line per run for a hardware encoder that fell back to software; a run whose
    hardware encoder works resolves the old ones."""
    with store.transaction() as writer:
        if message is None:
            stale = list(store.unresolved_failures(library.id, HWACCEL_STAGE))
            writer.resolve_errors(library.id, HWACCEL_STAGE, stale)
        else:
            writer.record_errors(library.id, [FileFailure(rel_path, HWACCEL_STAGE, message)])


@dg.asset(
    partitions_def=library_partitions,
    group_name=LIBRARY_GROUP,
    deps=[media_catalog],
    kinds={"python", "ffmpeg", "mp4"},
    pool="video",
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "Video encoding: an H.264/AAC MP4 (faststart, 720p by default) of every video a "
        "browser cannot play (policy `required`), rotation applied, HDR tone-mapped; "
        "content-addressed under MEDIA_PIPELINE_HOME/videos."
    ),
)
def video_encodings(
    context: dg.AssetExecutionContext,
    config: VideoConfig,
    catalog: CatalogResource,
    paths: MediaPaths,
) -> dg.MaterializeResult:
    try:
        settings = config.settings()
    except ValueError as exc:
        raise dg.Failure(str(exc)) from exc
    target = settings.encode
    fingerprint = settings.fingerprint()
    timeout = Timeout(config.timeout_minimum, config.timeout_per_second)
    home = paths.root()
    counts = {"encoded": 0, "reused": 0, "kept": 0, "failed": 0}
    video_seconds = encode_seconds = peak_memory = 0.0
    fallback_logged = False
    with retry_transient(context):
        store = catalog.open()
        library = partition_library(context, store)
        total = count_pending(store, library, STAGE, settled(fingerprint))
        context.log.info(f"{total} videos of {library.name} to check ({settings.policy})")
        encoder, fallback = (None, None)
        if total and settings.policy != "disabled":
            encoder, fallback = choose_encoder(
                target.codec, target.accel, target.crf, target.preset, target.max_bitrate
            )
            if fallback:
                context.log.warning(f"hardware acceleration unavailable: {fallback}")
            elif encoder.hardware:
                _ledger_line(store, library, "", None)
        batch = StageBatch(
            store, library, STAGE, lambda made: save_encodings(store, fingerprint, made), 1
        )
        started = time.monotonic()
        try:
            for pending in iter_pending(store, library, STAGE, settled(fingerprint)):
                progress = _ProgressLog(context, pending.rel_path)
                try:
                    outcome = encode_video(
                        library.absolute(pending.rel_path),
                        pending.content_hash,
                        home,
                        settings,
                        encoder,
                        timeout,
                        progress,
                    )
                except VideoError as exc:
                    batch.failed(pending, str(exc))
                    counts["failed"] += 1
                except OSError as exc:
                    batch.failed(pending, read_failure(exc))
                    counts["failed"] += 1
                else:
                    made = outcome.encoding
                    batch.done(pending, made)
                    kind = (
                        "encoded" if outcome.seconds else "reused" if made.encoded_path else "kept"
                    )
                    counts[kind] += 1
                    if outcome.seconds:
                        video_seconds += made.duration or 0.0
                        encode_seconds += outcome.seconds
                        peak_memory = max(peak_memory, outcome.peak_memory_mb)
                        context.log.info(
                            f"video {pending.rel_path}: {made.width}x{made.height} "
                            f"{made.encoder}, {made.duration:.1f} s in "
                            f"{outcome.seconds:.1f} s ({made.reason})"
                        )
                    problem = outcome.fallback or fallback
                    if problem and made.encoder and not fallback_logged:
                        _ledger_line(store, library, pending.rel_path, problem)
                        fallback_logged = True
                done_count = sum(counts.values())
                context.log.info(
                    format_progress(
                        "video encodings", done_count, total, time.monotonic() - started
                    )
                )
        finally:
            batch.flush()
    context.log.info(
        f"video encodings of {library.name}: {counts['encoded']} encoded, "
        f"{counts['reused']} reused, {counts['kept']} left as they are, "
        f"{counts['failed']} failed"
    )
    return dg.MaterializeResult(
        metadata={
            "library": library.name,
            **counts,
            "pending_before": total,
            "policy": settings.policy,
            "settings": fingerprint,
            "encoder": encoder.name if encoder else "",
            "hardware_fallback": fallback or "",
            "video_seconds": round(video_seconds, 3),
            "encode_seconds": round(encode_seconds, 3),
            "speed_x_realtime": round(video_seconds / encode_seconds, 2) if encode_seconds else 0.0,
            "encoder_peak_memory_mb": peak_memory,
        }
    )
