"""`photo_text` through `media-pipeline run`, `info --json` and `search`, with the real models
on the corpus photos with text (a shop sign, handwritten notes, a beer board, a book)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from media_pipeline_tests.corpus import IMMICH

TEXT = IMMICH / "albums" / "text"
# Words legible in each photo (looked at), and one to find it by.
LEGIBLE = {
    "book-beside-flowers.jpg": ({"dost", "ural", "futbolcular"}, "Futbolcular"),
    "craft-beer.jpg": ({"seasonal", "blonde", "barrel", "ipa"}, "barrel aged"),
    "handwritten-notes.jpg": ({"important", "progress", "remember"}, "REMEMBER"),
    "japanese-shop.jpg": ({"一番"}, "一番"),
}


def _latest(instance: dg.DagsterInstance, asset: str) -> dict:
    [record] = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return record.asset_materialization.metadata


def test_text_is_read_shown_and_searchable(mp, instance, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDIA_PIPELINE_OCR", "on")
    root = tmp_path / "photos"
    shutil.copytree(TEXT, root)
    shutil.copy(IMMICH / "albums" / "nature" / "prairie_falcon.jpg", root / "falcon.jpg")
    shutil.copy(IMMICH / "albums" / "nature" / "el_torcal_rocks.jpg", root / "rocks.jpg")
    mp("library", "add", "photos", str(root))
    mp("run", "--select", "media_catalog,thumbnails")
    preview = Path(mp.json("info", str(root / "rocks.jpg"))["preview_path"])
    preview.write_bytes(preview.read_bytes()[:200])  # a damaged preview: that file fails

    mp("run")

    metadata = _latest(instance, "photo_text")
    assert (metadata["read"].value, metadata["with_text"].value) == (5, 4)
    assert metadata["failed"].value == 1
    # CLIP and faces read the same preview and fail it too; OCR's own row says why.
    [failure] = [row for row in mp.json("errors") if row["stage"] == "ocr"]
    assert failure["path"] == str(root / "rocks.jpg")
    assert failure["error"].startswith("cannot read the preview")
    assert metadata["samples"].value.count("data:image/jpeg;base64,") == 4  # in the UI
    for name, (words, query) in LEGIBLE.items():
        text = mp.json("info", str(root / name))["text"]
        assert all(word in text.casefold() for word in words), (name, text)
        hits = mp.json("search", query)
        assert hits[0]["path"] == str(root / name) and hits[0]["matched"] == "text"
        assert [hit["matched"] for hit in hits[1:]] == ["clip"] * (len(hits) - 1)
    assert mp.json("info", str(root / "falcon.jpg"))["text"] == ""
    assert all(hit["matched"] == "clip" for hit in mp.json("search", "xylophone"))

    # Nothing is read twice; a new model version reads again.
    mp("run")
    assert _latest(instance, "photo_text")["read"].value == 0
