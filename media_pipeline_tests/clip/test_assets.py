"""CLIP embeddings, search, similar and duplicates through `media-pipeline` on a Dagster instance
(with the tiny CLIP model every test gets: random weights, real loading and inference)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import dagster as dg
from PIL import Image

from media_pipeline_tests.corpus import IMMICH


def _latest(instance: dg.DagsterInstance, asset: str) -> dict:
    [record] = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return record.asset_materialization.metadata


def test_embeddings_search_similar_and_duplicates(
    mp, instance, tmp_path: Path, home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("MEDIA_PIPELINE_SAMPLE_QUERIES", "rocks; a falcon ;")
    root = tmp_path / "photos"
    shutil.copytree(IMMICH / "albums" / "nature", root / "nature")
    rocks = IMMICH / "formats" / "jpg" / "el_torcal_rocks.jpg"
    shutil.copy(IMMICH / "formats" / "jpeg" / "el_torcal_rocks.jpeg", root / "copy.jpeg")
    with Image.open(rocks) as image:
        image.save(root / "reencoded.jpg", quality=60)
        image.resize((image.width // 2, image.height // 2)).save(root / "small.jpg", quality=85)
    mp("library", "add", "photos", str(root))

    mp("run")

    metadata = _latest(instance, "clip_embeddings")
    unique = len({p.read_bytes() for p in root.rglob("*.jpg*")})
    assert metadata["embedded"].value == unique and metadata["failed"].value == 0
    assert "licence" in _latest(instance, "clip_model")
    samples = _latest(instance, "search_index")["sample_queries"].value
    assert "**rocks**" in samples and "**a falcon**" in samples  # contact sheets in the UI
    assert samples.count("data:image/jpeg;base64,") == 2

    original = root / "nature" / "el_torcal_rocks.jpg"
    similar = mp.json("similar", str(original), "--limit", "5")
    assert similar[0]["path"] in {str(original), str(root / "copy.jpeg")}
    assert similar[0]["score"] > 0.999 and len(similar) == 5
    assert [hit["score"] for hit in similar] == sorted(
        (hit["score"] for hit in similar), reverse=True
    )

    hits = mp.json("search", "rocks", "--limit", "3")
    assert len(hits) == 3 and all(Path(hit["path"]).exists() for hit in hits)

    # The byte-identical copy is an exact group; the re-encode and the half-size copy are a
    # near group with the best of those two (one file per content); the keeper is a
    # full-size original; different photos are in no group.
    groups = mp.json("duplicates")
    identical = {str(original), str(root / "copy.jpeg")}
    [exact] = [group for group in groups if group["kind"] == "exact"]
    assert set(exact["files"]) == identical and exact["keeper"] in identical
    [near] = [group for group in groups if group["kind"] == "near"]
    assert near["keeper"] in identical
    assert set(near["files"]) == {
        near["keeper"],
        str(root / "reencoded.jpg"),
        str(root / "small.jpg"),
    }
    grouped = {path for group in groups for path in group["files"]}
    assert str(root / "nature" / "prairie_falcon.jpg") not in grouped

    # Nothing changed: the groups stand without comparing every vector again; a file gone
    # changes the inputs, and the groups are made again.
    assert _latest(instance, "duplicates")["inputs_unchanged"].value is False
    output = mp("run", "--select", "duplicates").output
    assert "duplicates: 1 groups, inputs unchanged, kept" in output
    index = home / "index" / "clip" / "vectors.npy"
    built = index.stat().st_mtime_ns
    mp("run", "--select", "search_index")
    assert index.stat().st_mtime_ns == built  # not written again
    kept = _latest(instance, "search_index")
    assert kept["inputs_unchanged"].value is True
    assert kept["vectors_read"].value == kept["vectors"].value  # the first build read all
    assert kept["sample_queries"].value == samples  # the UI still shows the last build's hits
    assert mp.json("duplicates") == groups
    assert _latest(instance, "duplicates")["compared_new"].value == unique  # all, the first time
    (root / "small.jpg").unlink()
    mp("run", "--select", "media_catalog,duplicates")
    latest = _latest(instance, "duplicates")
    assert latest["inputs_unchanged"].value is False
    assert latest["compared_new"].value == 0  # the groups again from what was compared
    [near] = [group for group in mp.json("duplicates") if group["kind"] == "near"]
    assert set(near["files"]) == {near["keeper"], str(root / "reencoded.jpg")}

    # A new copy is compared with every other photo, and only it.
    with Image.open(rocks) as image:
        image.save(root / "again.jpg", quality=70)
    mp("run", "--select", "media_catalog,thumbnails,clip_embeddings,search_index,duplicates")
    assert _latest(instance, "duplicates")["compared_new"].value == 1
    updated = _latest(instance, "search_index")  # small.jpg's content gone, again.jpg's new
    assert (updated["vectors"].value, updated["vectors_read"].value) == (kept["vectors"].value, 1)
    [near] = [group for group in mp.json("duplicates") if group["kind"] == "near"]
    assert set(near["files"]) == {
        near["keeper"],
        str(root / "reencoded.jpg"),
        str(root / "again.jpg"),
    }


def test_a_changed_model_embeds_again(mp, instance, tmp_path: Path, monkeypatch, clip_model):
    root = tmp_path / "few"
    shutil.copytree(IMMICH / "formats" / "webp", root)
    mp("library", "add", "few", str(root))
    mp("run")
    other = tmp_path / "other-model"
    shutil.copytree(clip_model, other)
    config = other / "config.json"
    config.write_text(config.read_text().replace('"projection_dim": ', '"projection_dim":  '))
    monkeypatch.setenv("MEDIA_PIPELINE_CLIP_MODEL", str(other))
    mp("run")
    assert _latest(instance, "clip_embeddings")["embedded"].value == 1


def test_a_run_in_one_process_loads_the_model_while_faces_are_read(
    mp, instance, tmp_path: Path
) -> None:
    """The CLI runs every step in its process: the CLIP batches come after the face batches,
    and the model loads in the background from the plan on, once."""
    from media_pipeline.clip import model
    from media_pipeline.clip.assets import WARM_UP_THREAD

    model._kept_clip.cache_clear()
    root = tmp_path / "few"
    shutil.copytree(IMMICH / "formats" / "webp", root)
    mp("library", "add", "few", str(root))
    mp("run")
    assert _latest(instance, "clip_embeddings")["embedded"].value == 1
    records = [  # the runs of `run`, oldest first, each's events in order
        record.event_log_entry
        for run in reversed(instance.get_runs())
        for record in instance.get_records_for_run(run.run_id).records
    ]
    starts = [
        entry.step_key
        for entry in records
        if entry.dagster_event_type == dg.DagsterEventType.STEP_START
    ]
    clip = [i for i, key in enumerate(starts) if "clip_embeddings_batch" in key]
    faces = [i for i, key in enumerate(starts) if "face_detections_batch" in key]
    assert clip and faces and max(faces) < min(clip)
    assert any("loading the CLIP model in the background" in e.user_message for e in records)
    assert model._kept_clip.cache_info().misses == 1  # loaded once, by the warm-up
    for thread in threading.enumerate():
        if thread.name == WARM_UP_THREAD:
            thread.join(timeout=10)  # its load is done: the batch waited for it
            assert not thread.is_alive()
