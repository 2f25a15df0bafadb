"""Test photos for embeddings and duplicates (no torch here: duplicates tests use it too).

``make_photos`` writes el_torcal_rocks.jpg, its byte-identical twin from formats/jpeg, three
made copies (JPEG re-encoded at quality 60, resized to half at quality 90, converted to WebP)
and the other photos of albums/nature; ``render_previews`` renders each through the
thumbnail renderer, so the embeddings see what the pipeline feeds them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from media_pipeline.thumbnails.render import render
from media_pipeline_tests.corpus import IMMICH

ORIGINAL = IMMICH / "formats" / "jpg" / "el_torcal_rocks.jpg"
TWIN = IMMICH / "formats" / "jpeg" / "el_torcal_rocks.jpeg"  # byte-identical
COPIES = ("original", "twin", "q60", "half", "webp")


def make_photos(folder: Path) -> dict[str, Path]:
    """name → file: the COPIES of el_torcal_rocks, then one entry per other nature photo."""
    folder.mkdir(parents=True, exist_ok=True)
    photos = {
        "original": Path(shutil.copy(ORIGINAL, folder / "el_torcal_rocks.jpg")),
        "twin": Path(shutil.copy(TWIN, folder / "el_torcal_rocks_twin.jpeg")),
    }
    with Image.open(ORIGINAL) as image:
        exif = image.info.get("exif", b"")
        image.load()
        image.save(folder / "q60.jpg", quality=60, exif=exif)
        half = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
        half.save(folder / "half.jpg", quality=90, exif=exif)
        image.save(folder / "converted.webp", quality=80)
    photos["q60"] = folder / "q60.jpg"
    photos["half"] = folder / "half.jpg"
    photos["webp"] = folder / "converted.webp"
    for path in sorted((IMMICH / "albums" / "nature").glob("*.jpg")):
        if path.name != ORIGINAL.name:
            photos[path.stem] = Path(shutil.copy(path, folder / path.name))
    return photos


def render_previews(photos: dict[str, Path], folder: Path) -> dict[str, tuple[Path, Path]]:
    """name → (1440 px JPEG preview, 250 px WebP thumbnail), as the pipeline renders them."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, path in photos.items():
        rendered = render(str(path))
        preview = folder / f"{name}.preview.jpg"
        thumbnail = folder / f"{name}.thumb.webp"
        preview.write_bytes(rendered.preview)
        thumbnail.write_bytes(rendered.thumbnail)
        out[name] = (preview, thumbnail)
    return out
