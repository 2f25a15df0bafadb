"""Where the shared corpus of real photos is (../shared/corpus beside the checkout)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
IMMICH = CORPUS / "immich-test-assets"
FACES = CORPUS / "faces"
