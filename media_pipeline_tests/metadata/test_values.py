from __future__ import annotations

from fractions import Fraction

import pytest
from PIL.TiffImagePlugin import IFDRational

from media_pipeline.metadata.values import first, number, text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Canon\x00", "Canon"),
        ("PENTAX K10D        \x00", "PENTAX K10D"),
        (b"NIKON\x00\x00junk", "NIKON"),
        ("   ", None),
        ("\x00\x00", None),
        (5, None),
        (None, None),
        ((1, 2), None),
    ],
)
def test_text(value, expected) -> None:
    assert text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (IFDRational(1, 160), 1 / 160),
        (Fraction(28, 10), 2.8),
        ((100, 200), 100.0),
        ([Fraction(7, 2)], 3.5),
        (IFDRational(1, 0), None),  # NaN
        (float("inf"), None),
        ("12", None),
        (b"\x01", None),
        (True, None),
        ((), None),
        (None, None),
    ],
)
def test_number(value, expected) -> None:
    assert number(value) == expected


def test_first() -> None:
    assert first([3]) == 3
    assert first(()) is None
    assert first("abc") == "abc"
