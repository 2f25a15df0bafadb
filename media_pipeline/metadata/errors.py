"""The one exception metadata extraction raises for files it cannot catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class MediaError(Exception):
    """A file that cannot be catalogued; ``str(e)`` is a clear message for the user.

    Raised for bad *content* (corrupt, truncated, unsupported, too large). Failures to
    *read* the file (permission denied, vanished) stay ``OSError`` so the caller can tell
    the two apart.
    """


def is_io_error(error: BaseException) -> bool:
    """Whether an exception is the operating system failing to read a file.

    Decoders (Pillow, FFmpeg, LibRaw) also raise OSError subclasses for bad data, but
    without a POSIX errno; FFmpeg's own error codes are huge negative-tag numbers.
    """
    return isinstance(error, OSError) and isinstance(error.errno, int) and 0 < error.errno < 4096


def read_failure(exc: OSError) -> str:
    """The ledger's message for a file that could not be read (as opposed to bad content)."""
    if isinstance(exc, FileNotFoundError):
        return "file vanished during processing"
    return f"cannot read file: {exc.strerror or exc}"


@contextmanager
def content_errors(error: type[MediaError], prefix: str) -> Iterator[None]:
    """Whatever a decoder raises becomes ``error(f"{prefix}: {exc}")``; failures to read the
    file (OSError with an errno) and ``error`` itself pass through unchanged."""
    try:
        yield
    except error:
        raise
    except Exception as exc:
        if is_io_error(exc):
            raise
        raise error(f"{prefix}: {exc}") from exc
