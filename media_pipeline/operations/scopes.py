"""What `pause` and `resume` act on: each scope is a set of Dagster concurrency pools.

A step of a pool whose limit is 0 waits before it starts ("blocked by limit for pool"), in a
run launched by the daemon and in the CLI's in-process runs alike; steps already running keep
their slot, and a stage's batch (stages/runner.py) waits after its current file while its
pool is paused, so nothing is lost and a resume lets the waiting steps go on.
"""

from __future__ import annotations

SCAN = "scan"  # media_catalog's plan step: walking the library
RENDER = "render"  # thumbnails' batches (no pool slot: the pause holds them between files)
ML = "ml"  # clip_embeddings, face_detections, photo_text batches
VIDEO = "video"  # video_encodings batches

SCOPES: dict[str, tuple[str, ...]] = {
    "scan": (SCAN, RENDER),
    "ml": (ML,),
    "video": (VIDEO,),
}
SCOPES["all"] = tuple(pool for pools in SCOPES.values() for pool in pools)

# Slots per pool when nothing is set: dagster.yaml's `concurrency.pools.default_limit` (1 on the
# embedded default: one heavy step at a time on a small machine, and one writer for SQLite;
# 2 in deploy/postgres). `media-pipeline concurrency POOL LIMIT` changes one pool.
POOLS = tuple(dict.fromkeys(SCOPES["all"]))


def scope_pools(scope: str) -> tuple[str, ...]:
    try:
        return SCOPES[scope]
    except KeyError:
        raise ValueError(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}") from None
