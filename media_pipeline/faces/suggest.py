"""Suggested merges: people close to each other as wholes that the clustering keeps apart
(existing people are never merged automatically: one may be named, or the user split them).

The cut is the clustering's own (0.44 for dlib): these are the pairs it would have merged had
their faces come in together. Measured on faces-lfw split into pieces (average linkage cut at
0.30-0.36, 3 faces a piece): pieces of one identity lie 0.31-0.33 apart as wholes, pieces
of two identities at least 0.459 (whole identities at least 0.485). The measured cut is used
even when a run configures another one for grouping, so that the CLI (which has no run
config) and the UI's people sheet list the same pairs. The user confirms a pair with
`media-pipeline people merge KEEP OTHER`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from media_pipeline.catalog.faces import grouped_models, load_faces, named_people
from media_pipeline.catalog.store import Catalog
from media_pipeline.faces.cluster import close_people, max_distance_for, person_means

__all__ = ["merge_suggestions"]


def merge_suggestions(
    catalog: Catalog, distance_for: Callable[[str], float] = max_distance_for
) -> list[dict[str, Any]]:
    """Pairs to merge, nearest first: keep, other (ids), their names and face counts, and
    the distance, per face model (``distance_for``: the model's clustering cut)."""
    names = named_people(catalog)
    suggestions = []
    for model in grouped_models(catalog):
        table = load_faces(catalog, model)
        placed = table.people >= 0
        if not placed.any():
            continue
        ids, means, sizes = person_means(table.embeddings[placed], table.people[placed])
        faces = dict(zip(ids.tolist(), sizes.tolist(), strict=True))
        cut = distance_for(model)
        for keep, other, distance in close_people(ids, means, sizes, set(names), cut):
            suggestions.append(
                {
                    "keep": keep,
                    "keep_name": names.get(keep),
                    "keep_faces": faces[keep],
                    "other": other,
                    "other_name": names.get(other),
                    "other_faces": faces[other],
                    "distance": distance,
                    "model": model,
                }
            )
    suggestions.sort(key=lambda pair: (pair["distance"], pair["keep"], pair["other"]))
    return suggestions
