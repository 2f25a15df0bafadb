"""Printing: one JSON document on stdout with --json, a readable table otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, redirect_stdout
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)


@contextmanager
def chatter_to_stderr(as_json: bool) -> Iterator[None]:
    """With --json, what a command prints while it works (run header, progress bar) goes to
    stderr, so stdout holds the one JSON document (`console` writes to sys.stdout of the
    moment)."""
    with redirect_stdout(sys.stderr) if as_json else nullcontext():
        yield
