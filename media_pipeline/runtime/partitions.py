"""Libraries are Dagster dynamic partitions: one partition per registered library."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from media_pipeline.catalog.store import Catalog, Library

library_partitions = dg.DynamicPartitionsDefinition(name="libraries")


def partition_changes(
    instance: dg.DagsterInstance, names: list[str]
) -> tuple[list[str], list[str]]:
    """(to add, to delete) so the partitions match the catalog's libraries."""
    existing = set(instance.get_dynamic_partitions(library_partitions.name))
    wanted = set(names)
    return sorted(wanted - existing), sorted(existing - wanted)


def sync_library_partitions(instance: dg.DagsterInstance, names: list[str]) -> None:
    added, removed = partition_changes(instance, names)
    if added:
        instance.add_dynamic_partitions(library_partitions.name, added)
    for name in removed:
        instance.delete_dynamic_partition(library_partitions.name, name)


def partition_library(context: dg.AssetExecutionContext, store: Catalog) -> Library:
    """The registered library of the run's partition, or a failure that says so."""
    library = store.library(context.partition_key)
    if library is None:
        raise dg.Failure(f"library {context.partition_key!r} is not registered")
    return library
