"""One committed batch of a derived stage's results (thumbnails, CLIP, faces): what it made,
the files it could not process, and earlier failures that now succeeded, landing together.

Committing every ``size`` results is what lets a cancelled or crashed run keep its work and
the next one resume, and the failures go to the same errors ledger the scan writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from media_pipeline.catalog.failures import (
    FileFailure,
    record_errors,
    resolve_errors,
    unresolved_failures,
)
from media_pipeline.catalog.pending import PendingContent
from media_pipeline.catalog.store import Catalog, Library

T = TypeVar("T")


class StageBatch(Generic[T]):
    """``save`` stores made results (its own transaction, idempotent); ledger rows follow."""

    def __init__(
        self,
        store: Catalog,
        library: Library,
        stage: str,
        save: Callable[[Sequence[T]], None],
        size: int = 50,
    ) -> None:
        self.store, self.library, self.stage, self.save, self.size = (
            store, library, stage, save, size,
        )  # fmt: skip
        self.failed_before = unresolved_failures(store, library.id, stage)
        self.made: list[T] = []
        self.failures: list[FileFailure] = []
        self.resolved: list[str] = []  # failed before, fine now (e.g. after `errors --retry`)

    def done(self, pending: PendingContent, result: T) -> None:
        self.made.append(result)
        if pending.rel_path in self.failed_before:
            self.resolved.append(pending.rel_path)
        self._maybe_flush()

    def failed(self, pending: PendingContent, message: str) -> None:
        self.failures.append(
            FileFailure(pending.rel_path, self.stage, message, pending.size, pending.mtime_ns)
        )
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self.made) + len(self.failures) >= self.size:
            self.flush()

    def flush(self) -> None:
        self.save(self.made)
        with self.store.transaction() as writer:
            record_errors(writer, self.library.id, self.failures)
            resolve_errors(writer, self.library.id, self.stage, self.resolved)
        self.made, self.failures, self.resolved = [], [], []
