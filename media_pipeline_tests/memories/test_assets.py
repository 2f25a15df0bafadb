"""Memories through `media-pipeline run` (the `memories` asset) and `memories --json`, on a
generated library spanning years, with photos near midnight in several time zones."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
from PIL import Image, ImageFilter

from media_pipeline.memories.build import today
from media_pipeline.memory import anniversary
from media_pipeline_tests.images import make_jpeg


def _texture(seed: int) -> Image.Image:
    noise = np.random.default_rng(seed).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    return Image.fromarray(noise).resize((800, 600), Image.NEAREST)


def _shot(root: Path, name: str, day: date, clock: str, offset: str, blur: bool = False) -> str:
    pixels = _texture(hash(name) % 1000)
    if blur:
        pixels = pixels.filter(ImageFilter.GaussianBlur(12))
    taken = datetime.combine(day, time.fromisoformat(clock))
    return str(make_jpeg(root / f"{name}.jpg", taken=taken, offset=offset, pixels=pixels))


def test_on_this_day_across_years_and_time_zones(mp, instance, tmp_path: Path) -> None:
    now = today()
    root = tmp_path / "years"
    three = anniversary(now, now.year - 3)
    # Three years ago today, by the local clock: 23:50 in Tokyo, lunch, a blurred shot. Not
    # 00:10 the next day in New York, nor 23:30 the day before in Los Angeles (07:30 today
    # in UTC).
    tokyo = _shot(root, "tokyo", three, "23:50:00", "+09:00")
    lunch = _shot(root, "lunch", three, "12:00:00", "+01:00")
    blurred = _shot(root, "blurred", three, "08:00:00", "+01:00", blur=True)
    _shot(root, "new-york", three + timedelta(days=1), "00:10:00", "-05:00")
    _shot(root, "los-angeles", three - timedelta(days=1), "23:30:00", "-08:00")
    # Five years ago only one photo that day and two the same week.
    five = anniversary(now, now.year - 5)
    week = {
        _shot(root, "five-a", five, "10:00:00", "+02:00"),
        _shot(root, "five-b", five + timedelta(days=2), "10:00:00", "+02:00"),
    }
    _shot(root, "this-year", now, "09:00:00", "+00:00")
    leap = _shot(root, "leap", date(2020, 2, 29), "10:00:00", "+01:00")
    mp("library", "add", "years", str(root))

    mp("run")

    shown = mp.json("memories")
    by_title = {memory["title"]: memory for memory in shown}
    assert set(by_title) == {"3 years ago", "5 years ago this week"}
    three_ago = by_title["3 years ago"]
    assert set(three_ago["files"]) == {tokyo, lunch, blurred}
    assert three_ago["files"][-1] == blurred  # sharp photos first
    assert three_ago["cover"] == three_ago["files"][0] and three_ago["date"] == str(three)
    assert set(by_title["5 years ago this week"]["files"]) == week
    [record] = instance.fetch_materializations(dg.AssetKey("memories"), limit=1).records
    metadata = record.asset_materialization.metadata
    assert metadata["memories"].value == 2
    assert metadata["contact_sheets"].value.count("data:image/jpeg;base64,") == 2  # the UI

    assert metadata["inputs_unchanged"].value is False

    # Asked again the same day with nothing changed: the same memories, kept as they are
    # (no preview read again for its sharpness), the UI's contact sheets too.
    mp("run", "--select", "memories")
    assert [m["id"] for m in mp.json("memories")] == [m["id"] for m in shown]
    [record] = instance.fetch_materializations(dg.AssetKey("memories"), limit=1).records
    again = record.asset_materialization.metadata
    assert again["inputs_unchanged"].value is True
    assert again["contact_sheets"] == metadata["contact_sheets"]

    # A photo gone changes the inputs: made again without it.
    Path(tokyo).unlink()
    mp("run", "--select", "media_catalog,memories")
    [record] = instance.fetch_materializations(dg.AssetKey("memories"), limit=1).records
    assert record.asset_materialization.metadata["inputs_unchanged"].value is False
    remade = {path for memory in mp.json("memories") for path in memory["files"]}
    assert lunch in remade and tokyo not in remade

    # Any other day, made on the spot the same way.
    [leap_day] = mp.json("memories", "--date", "2024-02-29")
    assert (leap_day["title"], leap_day["files"]) == ("4 years ago", [leap])
    [on_the_28th] = mp.json("memories", "--date", "2023-02-28")
    assert on_the_28th["files"] == [leap]
    assert mp("memories", "--date", "yesterday", ok=False).exit_code == 2
