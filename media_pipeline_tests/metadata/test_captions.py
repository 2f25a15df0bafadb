from __future__ import annotations

import pytest

from media_pipeline.metadata.captions import description, is_boilerplate, keywords, rating


@pytest.mark.parametrize(
    "value",
    ["SONY DSC", "OLYMPUS DIGITAL CAMERA", "  sony   dsc ", "DIGITAL CAMERA", "Default", "DCIM"],
)
def test_camera_boilerplate_is_no_caption(value) -> None:
    assert is_boilerplate(value)
    assert description([value]) is None


def test_make_or_model_is_no_caption() -> None:
    assert description(["Canon EOS R5", "A falcon"], "Canon", "Canon EOS R5") == "A falcon"
    assert not is_boilerplate("Sony shop in Ginza")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), ("3.0", 3), (5, 5), (0, 0), ("-1", -1), ("9", None), (-2, None), ("2.5", None),
     ("abc", None), (None, None), (float("nan"), None)],
)  # fmt: skip
def test_rating(value, expected) -> None:
    assert rating(value) == expected


def test_keywords_merge_each_once() -> None:
    assert keywords(["tram", "Lisbon"], ["lisbon", "Places"], [None, "", "Tram "]) == [
        "tram",
        "Lisbon",
        "Places",
    ]
