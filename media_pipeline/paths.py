"""Where derivatives and models are written, as a Dagster resource (so a deployment can point
every worker at the same shared folder)."""

from pathlib import Path

import dagster as dg

from media_pipeline import settings


class MediaPaths(dg.ConfigurableResource):
    """Empty `home` means MEDIA_PIPELINE_HOME (default ~/.local/share/media-pipeline)."""

    home: str = ""

    def root(self) -> Path:
        return Path(self.home).expanduser().resolve() if self.home else settings.media_home()
