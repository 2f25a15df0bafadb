"""Contact sheets: a grid of small images for the Dagster UI (materialization metadata).

The UI renders Markdown with inline data-URI images, so a sheet is one small JPEG.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

CELL = 120
COLUMNS = 6


def contact_sheet(images: Sequence[Path], cell: int = CELL, columns: int = COLUMNS) -> bytes | None:
    """A JPEG grid of the given images (thumbnails), each fitted into a square cell."""
    tiles = []
    for path in images:
        try:
            with Image.open(path) as image:
                image.thumbnail((cell, cell))
                tiles.append(image.convert("RGB"))
        except OSError:
            continue  # a derivative deleted since: leave it out of the picture
    if not tiles:
        return None
    columns = min(columns, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    sheet = Image.new("RGB", (columns * cell, rows * cell), (32, 32, 32))
    for index, tile in enumerate(tiles):
        x = (index % columns) * cell + (cell - tile.width) // 2
        y = (index // columns) * cell + (cell - tile.height) // 2
        sheet.paste(tile, (x, y))
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=80)
    return out.getvalue()


def markdown_image(jpeg: bytes, caption: str) -> str:
    encoded = base64.b64encode(jpeg).decode("ascii")
    return f"![{caption}](data:image/jpeg;base64,{encoded})"
