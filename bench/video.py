"""Video encoding benchmark (on demand, not a test): python bench/video.py [--repeat N]
[--seconds S] [--preset P] [--keep DIR]

A generated 1080p clip (FFmpeg's testsrc2 pattern and a tone, 30 fps, ``--seconds`` long,
H.264 + AAC as a phone records it) encoded to 720p H.264 High CRF 23 (``--preset``), AAC
copied, ``+faststart``, three ways on the same cores, interleaved, ``--repeat`` rounds:

- ``ffmpeg``: Debian's ``ffmpeg`` command line (installed with apt-get when missing) with the
  same settings;
- ``engine``: ours without Dagster: probe, then ``encode_in_child`` (PyAV in a spawned child);
- ``asset``: ``video_encodings`` materialized on a Dagster instance (policy ``all``), the
  whole step: catalog query, probe, child start-up, encode, rename, catalog write.

Prints per way the median wall time, × real time, and the peak RSS of the process that
encoded (the encoder child, or ffmpeg). NVENC is measured the same way when ``h264_nvenc`` opens
here; otherwise the script says it is unmeasured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_clip(path: Path, seconds: int) -> None:
    import av

    pattern = av.open(f"testsrc2=size=1920x1080:rate=30:duration={seconds}", format="lavfi")
    tone = av.open(f"sine=frequency=440:duration={seconds}:sample_rate=48000", format="lavfi")
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=30, options={"preset": "veryfast", "crf": "18"})
        video.width, video.height, video.pix_fmt = 1920, 1080, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        for frame in pattern.decode(video=0):
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for samples in tone.decode(audio=0):
            samples.pts = None
            out.mux(audio.encode(samples))
        out.mux(audio.encode(None))


def ensure_ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "ffmpeg"], check=True)
        found = shutil.which("ffmpeg")
    assert found, "ffmpeg did not install"
    return found


def run_ffmpeg(ffmpeg: str, source: Path, target: Path, preset: str, codec: str) -> tuple:
    command = [
        ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source),
        "-vf", "scale=1280:720", "-c:v", codec, *(
            ["-preset", preset, "-crf", "23", "-profile:v", "high"] if codec == "libx264"
            else ["-preset", "p4", "-rc", "vbr", "-cq", "23", "-b:v", "0"]
        ), "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart", str(target),
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    assert status == 0, f"ffmpeg failed: {' '.join(command)}"
    return seconds, usage.ru_maxrss / 1024


def run_engine(source: Path, target: Path, preset: str, accel: str) -> tuple:
    from media_pipeline.video.accel import choose_encoder
    from media_pipeline.video.policy import EncodeSettings
    from media_pipeline.video.probe import probe
    from media_pipeline.video.transcode import EncodeJob
    from media_pipeline.video.worker import encode_in_child

    settings = EncodeSettings(preset=preset, accel=accel)
    started = time.perf_counter()
    encoder, _ = choose_encoder("h264", accel, 23, preset, 0)
    job = EncodeJob(str(source), str(target), probe(str(source)), settings, encoder)
    encoded = encode_in_child(job)
    return time.perf_counter() - started, encoded.peak_memory_mb


class AssetRunner:
    """A library holding the clip, on a throwaway home and Dagster instance."""

    def __init__(self, home: Path, source: Path) -> None:
        os.environ["MEDIA_PIPELINE_HOME"] = str(home)
        os.environ["DAGSTER_HOME"] = str(home / "dagster")
        os.environ.pop("MEDIA_PIPELINE_DATABASE_URL", None)
        from click.testing import CliRunner

        from media_pipeline.cli.main import cli

        for args in (["library", "add", "bench", str(source.parent)],
                     ["run", "--select", "media_catalog"]):  # fmt: skip
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
        self.home = home

    def __call__(self, preset: str, accel: str) -> tuple:
        import dagster as dg
        from sqlalchemy import delete

        from media_pipeline import settings
        from media_pipeline.catalog.schema import video_encodings
        from media_pipeline.catalog.store import open_catalog
        from media_pipeline.definitions import defs
        from media_pipeline.home import VIDEOS
        from media_pipeline.runtime.instance import get_instance

        with open_catalog(settings.database_url()).transaction() as writer:
            writer.conn.execute(delete(video_encodings))  # encode again, every round
        shutil.rmtree(self.home / VIDEOS, ignore_errors=True)
        config = {"policy": "all", "preset": preset, "accel": accel}
        with get_instance() as instance:
            started = time.perf_counter()
            result = defs.resolve_job_def("library_pipeline").execute_in_process(
                instance=instance,
                partition_key="bench",
                asset_selection=[dg.AssetKey("video_encodings")],
                run_config={"ops": {"video_encodings": {"config": config}}},
            )
            seconds = time.perf_counter() - started
        assert result.success
        [made] = result.asset_materializations_for_node("video_encodings")
        return seconds, made.metadata["encoder_peak_memory_mb"].value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--keep", type=Path, help="work here and keep the files")
    args = parser.parse_args()
    ffmpeg = ensure_ffmpeg()
    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout
    import av

    from media_pipeline.video.accel import hardware_problem

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-video-"))
    (work / "library").mkdir(parents=True, exist_ok=True)
    source = work / "library" / "clip-1080p.mp4"
    if not source.exists():
        make_clip(source, args.seconds)
    print(f"clip: {source} ({source.stat().st_size / 1e6:.1f} MB, {args.seconds} s 1080p30)")
    print(f"ffmpeg CLI: {version.splitlines()[0]}")
    print(f"PyAV {av.__version__}, its FFmpeg {av.ffmpeg_version_info}; cores: {os.cpu_count()}")
    asset = AssetRunner(work / "home", source)
    ways = {
        "ffmpeg": lambda accel: run_ffmpeg(
            ffmpeg,
            source,
            work / "ffmpeg.mp4",
            args.preset,
            "h264_nvenc" if accel == "nvenc" else "libx264",
        ),
        "engine": lambda accel: run_engine(source, work / "engine.mp4", args.preset, accel),
        "asset": lambda accel: asset(args.preset, accel),
    }
    accels = ["none"]
    problem = hardware_problem("h264_nvenc")
    if problem is None:
        accels.append("nvenc")
    for accel in accels:
        times: dict[str, list[float]] = {name: [] for name in ways}
        peaks: dict[str, float] = dict.fromkeys(ways, 0.0)
        for round_number in range(args.repeat):
            order = list(ways) if round_number % 2 == 0 else list(reversed(ways))
            for name in order:
                seconds, peak = ways[name](accel)
                times[name].append(seconds)
                peaks[name] = max(peaks[name], peak)
                print(f"  {accel} round {round_number + 1} {name}: {seconds:.2f} s", flush=True)
        reference = statistics.median(times["ffmpeg"])
        print(f"\n{'software (libx264)' if accel == 'none' else 'NVENC'}, preset {args.preset},"
              f" medians of {args.repeat}:")  # fmt: skip
        print(f"{'way':8} {'seconds':>8} {'x real time':>12} {'vs ffmpeg':>10} {'peak RSS':>10}")
        for name in ways:
            median = statistics.median(times[name])
            print(
                f"{name:8} {median:8.2f} {args.seconds / median:12.2f} "
                f"{reference / median:9.2f}x {peaks[name]:8.0f} MB"
            )
    if problem is not None:
        print(f"\nNVENC: unmeasured here ({problem})")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
