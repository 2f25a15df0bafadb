"""`video_encodings` through the real interfaces: `media-pipeline run`, `info --json`,
`errors`, `purge-missing`, and materializations on a Dagster instance."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import av
import dagster as dg
from sqlalchemy import update

from media_pipeline import settings
from media_pipeline.catalog.schema import media_files
from media_pipeline.catalog.store import open_catalog, utcnow
from media_pipeline.definitions import defs
from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.images import make_jpeg
from media_pipeline_tests.video.clips import truncate, write_clip


def latest(instance: dg.DagsterInstance, partition: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey("video_encodings"))
    materialization = event.asset_materialization
    assert materialization.partition == partition
    return {key: value.value for key, value in materialization.metadata.items()}


def materialize(instance: dg.DagsterInstance, library: str, **config: object) -> None:
    result = defs.resolve_job_def("library_pipeline").execute_in_process(
        instance=instance,
        partition_key=library,
        asset_selection=[dg.AssetKey("video_encodings")],
        run_config={"ops": {"video_encodings": {"config": config}}},
    )
    assert result.success


def plays_to_the_end(path: Path) -> float:
    """Decode every frame; the seconds from the first frame's start to the last's end."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [frame.time for frame in container.decode(stream)]
        return max(times) - min(times) + float(1 / stream.average_rate)


def moov_before_mdat(path: Path) -> bool:
    data = path.read_bytes()
    return 0 <= data.find(b"moov") < data.find(b"mdat")


def test_required_policy_encodes_what_browsers_cannot_play(
    mp: MediaPipeline, instance, tmp_path: Path
) -> None:
    root = tmp_path / "videos"
    root.mkdir()
    avi = write_clip(root / "camera.avi", codec="mpeg4", faststart=False)
    mov = write_clip(root / "phone.mov", codec="libx265", pix_fmt="yuv422p")  # Main 4:2:2
    mp4 = write_clip(root / "web.mp4", audio="aac")  # H.264 High + AAC: plays
    broken = truncate(write_clip(root / "broken.mp4", codec="mpeg4", seconds=3), 0.4)
    make_jpeg(root / "photo.jpg", color=(9, 9, 9))
    mp("library", "add", "videos", str(root))

    mp("run", "--select", "media_catalog,video_encodings")

    made = latest(instance, "videos")
    assert (made["encoded"], made["kept"], made["failed"]) == (2, 1, 1)
    for source in (avi, mov):
        info = mp.json("info", str(source))
        encoded = Path(info["encoded_path"])
        assert encoded.is_file() and encoded.suffix == ".mp4"
        assert moov_before_mdat(encoded)
        assert abs(plays_to_the_end(encoded) - 1.0) <= 0.1
        with av.open(str(encoded)) as container:
            context = container.streams.video[0].codec_context
            assert (context.name, context.profile, context.pix_fmt) == ("h264", "High", "yuv420p")
            assert (context.width, context.height) == (160, 120)  # never upscaled
    assert mp.json("info", str(mp4))["encoded_path"] is None
    assert mp.json("info", str(root / "photo.jpg"))["encoded_path"] is None
    [error] = mp.json("errors")
    assert error["path"] == str(broken) and error["stage"] == "video_encodings"
    assert "truncated, or the header lies" in error["error"]
    assert not list((settings.media_home() / "videos").rglob(".tmp-*"))

    # Settled: a second run has nothing to do.
    mp("run", "--select", "video_encodings")
    assert latest(instance, "videos")["pending_before"] == 0

    # Policy `all`: the playable MP4 too; the others' encodings (same target) are reused.
    materialize(instance, "videos", policy="all")
    again = latest(instance, "videos")
    assert (again["encoded"], again["reused"], again["failed"]) == (1, 2, 0)
    web = Path(mp.json("info", str(mp4))["encoded_path"])
    with av.open(str(web)) as container:
        assert [s.codec_context.name for s in container.streams] == ["h264", "aac"]
    assert abs(plays_to_the_end(web) - 1.0) <= 0.1

    # A changed target encodes again, under a new name. Asked for VAAPI (not in PyAV's FFmpeg
    # build, so absent on every machine): software encodes, and the ledger has one line.
    before = mp.json("info", str(avi))["encoded_path"]
    materialize(instance, "videos", policy="all", crf=30, accel="vaapi")
    changed = latest(instance, "videos")
    assert changed["encoded"] == 3 and changed["settings"] != again["settings"]
    assert changed["encoder"] == "libx264"
    assert changed["hardware_fallback"].startswith("h264_vaapi is not in this FFmpeg build")
    after = mp.json("info", str(avi))["encoded_path"]
    assert after != before and Path(after).is_file()
    fallbacks = [e for e in mp.json("errors") if e["stage"] == "video_hwaccel"]
    assert len(fallbacks) == 1 and "using libx264" in fallbacks[0]["error"]


def test_rotated_1080p_becomes_upright_720p(mp: MediaPipeline, instance, tmp_path: Path):
    root = tmp_path / "phone"
    root.mkdir()
    # MPEG-4 Part 2 in MOV (not for browsers), held upright: displayed rotated 90° clockwise.
    clip = write_clip(
        root / "upright.mov", codec="mpeg4", size=(1920, 1080), seconds=2, rate=15,
        rotation=-90, audio="aac",
    )  # fmt: skip
    mp("library", "add", "phone", str(root))
    mp("run", "--select", "media_catalog,video_encodings")

    encoded = Path(mp.json("info", str(clip))["encoded_path"])
    assert moov_before_mdat(encoded)
    with av.open(str(encoded)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (720, 1280)
        assert container.streams.audio[0].codec_context.name == "aac"
        frame = next(container.decode(video))
        assert not frame.rotation  # applied to the pixels, no display matrix left
        pixels = frame.to_ndarray(format="gray")
    # The source's bright top half is the right half once turned clockwise.
    assert pixels[:, 400:].mean() > 120 > 60 > pixels[:, :320].mean()
    assert abs(plays_to_the_end(encoded) - 2.0) <= 0.1


def test_hlg_comes_out_8_bit_sdr(mp: MediaPipeline, instance, tmp_path: Path) -> None:
    root = tmp_path / "hdr"
    root.mkdir()
    clip = write_clip(root / "hlg.mp4", codec="libx265", pix_fmt="yuv420p10le", transfer=18)
    mp("library", "add", "hdr", str(root))
    mp("run", "--select", "media_catalog")
    materialize(instance, "hdr", policy="all")

    encoded = Path(mp.json("info", str(clip))["encoded_path"])
    with av.open(str(encoded)) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name == "yuv420p"
    assert (frame.color_trc, frame.color_primaries, frame.colorspace) == (1, 1, 1)  # BT.709
    top = frame.to_ndarray(format="rgb24")[5:50, 100:].mean()
    # HLG reference white (75%) is 203 nits: SDR 0.71 after the tone curve, neither clipped
    # to white nor left as the dark grey an untouched 10-bit signal would show.
    assert 165 < top < 200


def test_purge_missing_removes_orphaned_encodings(mp: MediaPipeline, instance, tmp_path: Path):
    root = tmp_path / "lib"
    root.mkdir()
    gone = write_clip(root / "gone.avi", codec="mpeg4", faststart=False)
    make_jpeg(root / "keep.jpg", color=(1, 2, 3))
    mp("library", "add", "lib", str(root))
    mp("run", "--select", "media_catalog,video_encodings")
    encoded = Path(mp.json("info", str(gone))["encoded_path"])
    assert encoded.is_file()
    os.remove(gone)
    mp("run", "--select", "media_catalog")
    catalog = open_catalog(settings.database_url())
    with catalog.transaction() as writer:
        writer.conn.execute(update(media_files).values(missing_since=utcnow() - timedelta(days=40)))
    mp("purge-missing")
    assert not encoded.exists()
    assert mp("info", str(gone), ok=False).exit_code != 0


def test_encodings_follow_a_scan_in_their_own_pool(instance) -> None:
    """Part of `library_pipeline`, its batch steps in pool `video`, and requested once a
    library's scan lands."""
    key = dg.AssetKey("video_encodings")
    assert key in defs.resolve_job_def("library_pipeline").asset_layer.executable_asset_keys
    graph = defs.resolve_assets_def(key).node_def
    assert graph.node_named("video_encodings_batch").definition.pool == "video"
    assert graph.node_named("video_encodings_plan").definition.pool is None
    instance.add_dynamic_partitions("libraries", ["a", "b"])
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.get_requested_partitions(key) == set()
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key="media_catalog", partition="b")
    )
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert after.get_requested_partitions(key) == {"b"}
