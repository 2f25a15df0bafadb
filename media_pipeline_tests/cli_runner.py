"""Drive the real `media-pipeline` command: in process through click, or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from click.testing import CliRunner, Result

from media_pipeline.cli.main import cli


class MediaPipeline:
    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> Result:
        result = self.runner.invoke(cli, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


def run_cli(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.Popen:
    """`media-pipeline ARGS` in its own process, as a user would start it."""
    return subprocess.Popen(
        [sys.executable, "-m", "media_pipeline", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
