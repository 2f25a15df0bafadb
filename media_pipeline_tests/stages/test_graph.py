"""The ops a stage is made of: their tags, as the executors read them."""

from __future__ import annotations

import pytest

from media_pipeline.clip.assets import CLIP_EMBEDDINGS
from media_pipeline.faces.assets import FACE_DETECTIONS
from media_pipeline.ocr.assets import PHOTO_TEXT
from media_pipeline.stages.graph import PRIORITY_TAG, QUEUE_TAG, stage_ops
from media_pipeline.thumbnails.assets import THUMBNAILS


def test_clip_batches_come_after_the_other_stages_in_one_process() -> None:
    _, clip, _ = stage_ops(CLIP_EMBEDDINGS)
    assert int(clip.tags[PRIORITY_TAG]) < 0
    for stage in (THUMBNAILS, FACE_DETECTIONS, PHOTO_TEXT):
        assert PRIORITY_TAG not in stage_ops(stage)[1].tags


@pytest.mark.parametrize("stage", [CLIP_EMBEDDINGS, THUMBNAILS, FACE_DETECTIONS, PHOTO_TEXT])
def test_the_celery_engine_never_sees_dagster_s_priority_alone(stage) -> None:
    """dagster-celery warns in every run about a step with Dagster's priority tag and not its
    own; its own keeps its default, so the workers' order is what it was."""
    for op in stage_ops(stage):
        assert QUEUE_TAG in op.tags
        if PRIORITY_TAG in op.tags:
            assert op.tags["dagster-celery/priority"] == "5"
