"""Where the shared corpus of real photos is (../shared/corpus beside the checkout)."""

from pathlib import Path

from face_samples import CORPUS, FACES

REPO = Path(__file__).resolve().parents[1]
IMMICH = CORPUS / "immich-test-assets"

__all__ = ["CORPUS", "FACES", "IMMICH", "REPO"]
