"""Where derivatives and models are written, as a Dagster resource (so a deployment can point
every worker at the same shared folder); the folders themselves are home.py's map."""

from pathlib import Path

import dagster as dg

from media_pipeline import settings
from media_pipeline.home import Home


class MediaPaths(dg.ConfigurableResource):
    """Empty `home` means MEDIA_PIPELINE_HOME (default ~/.local/share/media-pipeline)."""

    home: str = ""

    def root(self) -> Path:
        return Path(self.home).expanduser().resolve() if self.home else settings.media_home()

    def folders(self) -> Home:
        """Every folder of this home (models, search index, backups, scan work)."""
        return Home(self.root())
