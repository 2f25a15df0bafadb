"""`thumbnails` through the real interfaces: `media-pipeline run` on a Dagster instance."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
from PIL import Image

from media_pipeline.definitions import defs
from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.conftest import IMMICH
from media_pipeline_tests.metadata.samples import write_video


def _latest(instance: dg.DagsterInstance, asset: str, partition: str) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    materialization = event.asset_materialization
    assert materialization.partition == partition
    return {key: value.value for key, value in materialization.metadata.items()}


def test_previews_and_thumbnails_for_a_real_library(mp: MediaPipeline, instance, tmp_path):
    root = tmp_path / "photos"
    shutil.copytree(IMMICH / "formats", root / "formats")
    shutil.copytree(IMMICH / "metadata", root / "metadata")
    (root / "clips").mkdir()
    write_video(root / "clips" / "clip.mp4", frames=20, size=(320, 240))
    mp("library", "add", "photos", str(root))
    mp("run", "--select", "media_catalog")
    catalogued = len([p for p in root.rglob("*") if p.is_file()])
    assert mp.json("errors") == []
    # Gone between the scan and the rendering: recorded, and the rest goes on.
    (root / "formats" / "avif" / "8bit-sRGB.avif").unlink()

    mp("run", "--select", "thumbnails")

    made = _latest(instance, "thumbnails", "photos")
    unique_contents = catalogued - 1  # formats/jpg and formats/jpeg hold the same file
    assert (made["rendered"], made["failed"]) == (unique_contents - 1, 1)
    assert "data:image/jpeg;base64," in made["new_thumbnails"]
    [error] = mp.json("errors")
    assert error["path"].endswith("8bit-sRGB.avif") and error["stage"] == "thumbnails"
    assert error["error"] == "file vanished during processing"
    # The UI shows what `errors` shows: the failed files of the materialization.
    assert (
        "| `formats/avif/8bit-sRGB.avif` | file vanished during processing |"
        in (made["failed_files"])
    )
    assert made["batches"] == 1 and made["hosts"]
    # Each batch step's output says what that attempt did (the collect step reads them when a
    # batch was delivered twice).
    [output] = [
        r.event_log_entry.dagster_event.event_specific_data.metadata
        for r in instance.get_records_for_run(
            instance.get_latest_materialization_event(dg.AssetKey("thumbnails")).run_id,
            of_type=dg.DagsterEventType.STEP_OUTPUT,
        ).records
        if "thumbnails_batch[" in r.event_log_entry.dagster_event.step_key
    ]
    assert (output["done"].value, output["pending"].value) == (unique_contents - 1, unique_contents)

    heic_info = mp.json("info", str(root / "formats" / "heic" / "IMG_2682.heic"))
    with Image.open(heic_info["preview_path"]) as preview:
        assert (preview.format, preview.size) == ("JPEG", (1440, 1080))
    with Image.open(heic_info["thumbnail_path"]) as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (250, 188))
    gps = mp.json("info", str(root / "metadata" / "gps-position" / "thompson-springs.jpg"))
    for key in ("preview_path", "thumbnail_path"):
        data = Path(gps[key]).read_bytes()
        assert b"Exif" not in data and b"GPS" not in data
    video = mp.json("info", str(root / "clips" / "clip.mp4"))
    with Image.open(video["preview_path"]) as poster:
        assert poster.size == (320, 240)
    # The same content under two names shares one set of derivatives.
    jpg = mp.json("info", str(root / "formats" / "jpg" / "el_torcal_rocks.jpg"))
    jpeg = mp.json("info", str(root / "formats" / "jpeg" / "el_torcal_rocks.jpeg"))
    assert jpg["preview_path"] == jpeg["preview_path"] and Path(jpg["preview_path"]).is_file()

    # Renamed files and byte-identical copies render nothing new.
    os.rename(root / "formats" / "webp", root / "formats" / "webp-renamed")
    shutil.copy(root / "formats" / "png" / "density_plot.png", root / "copy-of-plot.png")
    mp("run")
    again = _latest(instance, "thumbnails", "photos")
    assert (again["rendered"], again["failed"], again["pending_before"]) == (0, 0, 0)
    renamed = mp.json("info", str(root / "formats" / "webp-renamed" / "denali.webp"))
    assert Path(renamed["thumbnail_path"]).is_file()


def test_changed_settings_re_render(mp: MediaPipeline, instance, tmp_path: Path) -> None:
    root = tmp_path / "few"
    shutil.copytree(IMMICH / "formats" / "webp", root)
    mp("library", "add", "few", str(root))
    mp("run")
    job = defs.resolve_job_def("library_pipeline")
    result = job.execute_in_process(
        instance=instance,
        partition_key="few",
        asset_selection=[dg.AssetKey("thumbnails")],
        run_config={"ops": {"thumbnails": {"config": {"thumbnail_size": 100}}}},
    )
    assert result.success
    assert _latest(instance, "thumbnails", "few")["rendered"] == 1
    with Image.open(mp.json("info", str(root / "denali.webp"))["thumbnail_path"]) as thumb:
        assert max(thumb.size) == 100


def test_thumbnails_follow_a_scan_through_the_graph(instance, tmp_path: Path) -> None:
    """The eager condition requests a library's thumbnails once its scan materialized."""
    instance.add_dynamic_partitions("libraries", ["a", "b"])
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert first.get_requested_partitions(dg.AssetKey("thumbnails")) == set()
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key="media_catalog", partition="a")
    )
    after_scan = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, cursor=first.cursor
    )
    assert after_scan.get_requested_partitions(dg.AssetKey("thumbnails")) == {"a"}
