"""Face samples shared by the tests and bench/faces.py (no pytest here): where the shared
corpus is, who is who in its face photos, and stand-ins for the face models no test can
download. Not part of the installed package."""

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
FACES = CORPUS / "faces"
