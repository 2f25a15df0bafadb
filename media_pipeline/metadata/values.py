"""Normalising raw tag values (Pillow, ExifRead, FFmpeg) into plain str/float/int.

Tags come from untrusted files: any type may hold anything, so every helper returns
None rather than raising on odd input.
"""

from __future__ import annotations

import math
from typing import Any


def first(value: Any) -> Any:
    """The first element of a tuple/list value (ExifRead wraps scalars in lists)."""
    if isinstance(value, tuple | list):
        return value[0] if value else None
    return value


def text(value: Any) -> str | None:
    """A tag value as clean text: decoded, cut at the first NUL, stripped; None if empty."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.split("\x00", 1)[0].strip()
    return value or None


def number(value: Any) -> float | None:
    """A finite float from an int/float/rational (first element of a sequence); else None."""
    value = first(value)
    if isinstance(value, str | bytes | bool) or value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return result if math.isfinite(result) else None
