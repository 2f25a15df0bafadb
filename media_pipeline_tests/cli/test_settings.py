"""One settings file under MEDIA_PIPELINE_HOME, environment variables over it, read by every
process that resolves a setting; `media-pipeline settings` says where each value came from."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline import settings
from media_pipeline_tests.conftest import REPO


def test_values_come_from_the_environment_then_the_file_then_the_default(
    mp, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(
        'scan_batch_size = 7\nsensor_interval = 99\noffline = true\nsample_queries = ["a", "b"]\n'
    )
    monkeypatch.setenv("MEDIA_PIPELINE_SENSOR_INTERVAL", "5")
    shown = mp.json("settings")
    assert shown["file"] == str(home / "settings.toml") and shown["file_exists"]
    by_name = {row["name"]: (row["value"], row["source"]) for row in shown["settings"]}
    assert by_name["MEDIA_PIPELINE_SCAN_BATCH_SIZE"] == ("7", "file")
    assert by_name["MEDIA_PIPELINE_SENSOR_INTERVAL"] == ("5", "environment")
    assert by_name["MEDIA_PIPELINE_OFFLINE"] == ("1", "file")
    assert by_name["MEDIA_PIPELINE_SAMPLE_QUERIES"] == ("a;b", "file")
    assert by_name["MEDIA_PIPELINE_TIMEZONE"] == ("UTC", "default")
    assert by_name["MEDIA_PIPELINE_HOME"] == (str(home), "environment")
    assert "MEDIA_PIPELINE_TIMEZONE" in mp("settings").stdout

    (home / "settings.toml").write_text('clip_modle = "typo"\n')
    result = mp("settings", ok=False)
    assert result.exit_code == 1 and "unknown setting(s) clip_modle" in result.stderr


def test_a_model_set_in_the_file_reaches_the_run(
    mp, instance, home: Path, clip_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDIA_PIPELINE_CLIP_MODEL")  # as in a new shell
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text(f"clip_model = {str(clip_model)!r}\noffline = 1\n")
    mp("library", "add", "photos", str(home))
    mp("run", "--select", "clip_model")
    event = instance.get_latest_materialization_event(dg.AssetKey("clip_model"))
    assert event.asset_materialization.metadata["clip_model"].value == str(clip_model)


def test_every_setting_the_code_reads_is_known_and_in_the_readme() -> None:
    code = (
        "\n".join(path.read_text() for path in (REPO / "media_pipeline").rglob("*.py"))
        + (REPO / "deploy" / "postgres" / "workspace.yaml").read_text()
    )
    used = set(re.findall(r"MEDIA_PIPELINE_[A-Z_]+[A-Z]", code))
    known = {setting.name for setting in settings.SETTINGS}
    assert used <= known, used - known
    readme = (REPO / "README.md").read_text()
    assert [name for name in sorted(known) if f"| `{name}` |" not in readme] == []
