"""Printing: one JSON document on stdout with --json, a readable table otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, redirect_stdout
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """rich's Console, made on its first use: a command that prints only JSON never loads rich
    (about 60 ms of a read-only command's start)."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self.made: Console | None = None

    @property
    def real(self) -> Console:
        if self.made is None:
            from rich.console import Console

            self.made = Console(stderr=self.stderr)
        return self.made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


console = LazyConsole()
errors = LazyConsole(stderr=True)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    console.print(table)


def print_rows(
    rows: Sequence[Any],
    as_json: bool,
    title: str,
    columns: Sequence[str],
    cells: Callable[[Any], Sequence[Any]],
) -> None:
    """A listing command's output: the rows as one JSON document, or a table of ``cells(row)``."""
    if as_json:
        print_json(rows)
        return
    print_table(title, columns, [cells(row) for row in rows])


@contextmanager
def chatter_to_stderr(as_json: bool) -> Iterator[None]:
    """With --json, what a command prints while it works (run header, progress bar) goes to
    stderr, so stdout holds the one JSON document (`console` writes to sys.stdout of the
    moment)."""
    with redirect_stdout(sys.stderr) if as_json else nullcontext():
        yield
