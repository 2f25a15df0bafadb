"""The errors a model folder can raise, each naming the setting and the command that fix it.

A photo library runs unattended: a missing or damaged model has to say in one message what
is wrong and what to do, instead of a stack trace from deep inside huggingface_hub.
"""

from __future__ import annotations

from collections.abc import Sequence

# What the user runs to download every model (the `ml_models` asset) once they are online.
FIX_COMMAND = "media-pipeline run --select ml_models"


class ModelError(Exception):
    """Base of every model-folder error."""


class ModelMissing(ModelError):
    """The model is neither on disk nor downloadable (offline, or the download failed)."""

    def __init__(self, what: str, setting: str, detail: str) -> None:
        self.what = what
        self.setting = setting
        super().__init__(
            f"{what} is not available: {detail}. Set {setting} to a local directory, or run "
            f"`{FIX_COMMAND}` with internet access."
        )


class ModelCorrupt(ModelError):
    """Files on disk no longer match the manifest written when they were downloaded."""

    def __init__(self, what: str, setting: str, folder: object, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        shown = "; ".join(str(problem) for problem in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(
            f"{what} in {folder} is damaged: {shown}{more}. Run `{FIX_COMMAND}` with internet "
            f"access to download it again, or set {setting} to a good local copy."
        )


class ChecksumError(ModelError):
    """A download whose SHA-256 is not the expected one (it was deleted, never used)."""

    def __init__(self, url: str, expected: str, actual: str) -> None:
        self.url = url
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"checksum mismatch for {url}: SHA-256 {actual}, expected {expected}. The download "
            "was discarded (a corrupted transfer, a tampered file, or the file changed upstream)."
        )


class DownloadError(ModelError):
    """The transfer itself failed (network, HTTP status)."""
