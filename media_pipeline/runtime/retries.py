"""Retry transient failures (a locked SQLite file, a dropped PostgreSQL connection) with
exponential backoff — and nothing else.

Not a RetryPolicy: Dagster honours a step's RetryPolicy on interrupts too, so terminating a run
from the UI would restart the scan instead of stopping it; and a policy retries programming
errors and bad configuration, which only fail again.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from sqlalchemy.exc import DBAPIError, OperationalError

MAX_RETRIES = 4
BASE_DELAY_SECONDS = 2.0


def backoff_seconds(retry_number: int) -> float:
    """2, 4, 8, 16 s, each ±25% so retries of parallel runs do not collide again."""
    return BASE_DELAY_SECONDS * 2**retry_number * random.uniform(0.75, 1.25)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


@contextmanager
def retry_transient(context: dg.AssetExecutionContext) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        if not is_transient(exc):
            raise
        delay = backoff_seconds(context.retry_number)
        context.log.warning(f"transient database error, retrying in {delay:.0f} s: {exc.orig}")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=delay) from exc
