from __future__ import annotations

from media_pipeline.metadata.apple import content_identifier
from media_pipeline_tests.metadata.samples import apple_maker_note


def test_content_identifier() -> None:
    note = apple_maker_note("5E1C2B3A-0F00-4D2E-9A11-ABCDEF012345")
    assert content_identifier(note) == "5E1C2B3A-0F00-4D2E-9A11-ABCDEF012345"


def test_malformed_maker_notes_have_none() -> None:
    note = apple_maker_note("X-1")
    for broken in (b"", b"Canon", note[:20], note[:14] + b"\xff\xff", "text", None):
        assert content_identifier(broken) is None
