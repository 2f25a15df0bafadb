"""The stage runner's bookkeeping: what the collect step counts when a batch ran twice."""

from __future__ import annotations

from pathlib import Path

from media_pipeline.stages.runner import (
    BatchSummary,
    collect_metadata,
    output_metadata,
    redelivered,
    with_earlier_attempts,
)
from media_pipeline.thumbnails.assets import THUMBNAILS


def _summary(host: str, index: int, pending: int, done: int) -> BatchSummary:
    return BatchSummary(
        host, 100.0, index, 25, done=done, pending=pending, seconds=1.5, counts={"bytes": done}
    )


def test_a_batch_delivered_again_counts_its_first_attempt() -> None:
    first = _summary("host-a", 0, 25, 25)
    again = _summary("host-b", 0, 0, 0)  # its acknowledgement died with host-a
    other = _summary("host-b", 1, 25, 24)
    summaries = [again, other]
    assert redelivered(summaries) and not redelivered([first, other])

    outputs = {0: [output_metadata(first), output_metadata(again)], 1: [output_metadata(other)]}
    merged = with_earlier_attempts(summaries, outputs)

    assert sum(s.done for s in merged) == 49
    metadata, _ = collect_metadata(THUMBNAILS, "lib", merged, Path("/home"))
    assert (metadata["batches"], metadata["rendered"]) == (2, 49)
    assert metadata["hosts"] == "host-a, host-b"
    assert sorted({s.host for s in merged if s.pending}) == ["host-a", "host-b"]
    [restored] = [s for s in merged if s.host == "host-a"]
    assert (restored.index, restored.counts, restored.seconds) == (0, {"bytes": 25}, 1.5)


def test_a_batch_that_found_its_work_done_by_another_run_adds_nothing() -> None:
    idle = _summary("host-a", 0, 0, 0)
    assert with_earlier_attempts([idle], {0: [output_metadata(idle)]}) == [idle]
