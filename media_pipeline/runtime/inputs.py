"""An asset over the whole collection recomputes only when its inputs changed.

The collection assets (near duplicates: every vector against every other; the search index;
the day's memories, which read each candidate preview for its sharpness) read all of the
catalog; a run after 50 new photos, or with none, should not pay for 100,000 again. Such an
asset digests what it reads (rows, settings, its algorithm's version), returns the digest as
its Dagster data version, and when the digest equals the one its latest materialization
recorded, keeps its stored result and says so (``inputs_unchanged``). A materialization that
never got recorded (a crash after the catalog commit) only costs one recomputation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import dagster as dg

DATA_VERSION_TAG = "dagster/data_version"


def inputs_digest(settings: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """A digest of the settings and of every row, in order (rows as the catalog returns them)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(tuple(settings)).encode())
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def unchanged_metadata(
    context: dg.AssetExecutionContext, digest: str
) -> dict[str, dg.MetadataValue] | None:
    """The metadata of the asset's latest materialization when it recorded this data version
    (what the UI keeps showing), else None: the inputs changed, or it never ran."""
    materialization = _latest(context, context.asset_key)
    if materialization is None or materialization.tags.get(DATA_VERSION_TAG) != digest:
        return None
    return {**materialization.metadata, "inputs_unchanged": dg.MetadataValue.bool(True)}


def latest_data_version(context: dg.AssetExecutionContext, key: dg.AssetKey) -> str | None:
    """The data version another asset's latest materialization recorded (None: none), for an
    asset whose inputs include that asset's result."""
    materialization = _latest(context, key)
    return None if materialization is None else materialization.tags.get(DATA_VERSION_TAG)


def _latest(context: dg.AssetExecutionContext, key: dg.AssetKey) -> dg.AssetMaterialization | None:
    event = context.instance.get_latest_materialization_event(key)
    return None if event is None else event.asset_materialization
