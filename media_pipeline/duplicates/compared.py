"""Where ``search_near``'s ``Compared`` is kept between runs: a JSON file under the home's
index folder, for one fingerprint (algorithm, model, thresholds). It only saves work: a file
that is missing, unreadable or of another fingerprint means comparing everything again."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from media_pipeline.duplicates.find import Compared

FORMAT = 1


def load_compared(path: Path, fingerprint: Sequence[Any]) -> Compared | None:
    """What the last search with this fingerprint compared; None when nothing usable is kept."""
    try:
        kept = json.loads(path.read_text())
        if kept["format"] != FORMAT or kept["fingerprint"] != list(fingerprint):
            return None
        return Compared(
            frozenset(kept["contents"]),
            tuple((str(a), str(b), float(score)) for a, b, score in kept["pairs"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_compared(path: Path, fingerprint: Sequence[Any], compared: Compared) -> None:
    """Written whole or not at all (a temporary file renamed over the last one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    document = {
        "format": FORMAT,
        "fingerprint": list(fingerprint),
        "contents": sorted(compared.contents),
        "pairs": [list(pair) for pair in compared.pairs],
    }
    partial.write_text(json.dumps(document, separators=(",", ":")))
    os.replace(partial, path)
