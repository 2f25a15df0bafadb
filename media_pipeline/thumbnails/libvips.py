"""JPEG previews decoded and resized by libvips (pyvips' binary wheel), Pillow otherwise.

Resizing took half of a JPEG preview's time: Pillow's LANCZOS is plain C, 48 ms for a
12 MP photo decoded at half size, where libvips' vectorised Lanczos 3 (what sharp, and so
Immich, run) does the same in a fraction; decode plus resize went from 85 to 51 ms, with
the same SSIM against a full-decode reference (bench/thumbnails.py). Only this step moves:
the DCT scale is the one Pillow's ``draft`` would pick, and the header, orientation, colour
conversion and encoding stay Pillow's, so both paths make the same outputs.

Anything libvips is unsure of (a warning from libjpeg: truncated data, a damaged marker) or
cannot do (no libvips on this platform) returns None, and the caller decodes with Pillow,
whose result or error is then the one reported: damaged files read as they always did.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)

_SHRINKS = (8, 4, 2, 1)  # libjpeg's DCT scales, as Pillow's JpegImageFile.draft offers them


def dct_shrink(size: tuple[int, int], request: tuple[int, int]) -> int:
    """The DCT shrink Pillow's ``draft(mode, request)`` picks for an image of ``size``."""
    scale = min(size[0] // request[0], size[1] // request[1])
    return next((s for s in _SHRINKS if scale >= s), 1)


@lru_cache(maxsize=1)
def _pyvips() -> Any | None:
    """pyvips with libvips set for a worker process, or None where libvips cannot load."""
    try:
        import pyvips
    except (ImportError, OSError) as exc:  # no wheel for this platform, a broken library
        log.info("libvips is not available (%s): JPEG previews are resized by Pillow", exc)
        return None
    pyvips.concurrency_set(1)  # one thread: the stage runs one worker process per core
    pyvips.cache_set_max(0)  # every operation is on a new file: a cache only holds memory
    return pyvips


def scaled_jpeg(
    data: bytes, size: tuple[int, int], request: tuple[int, int], target: tuple[int, int]
) -> Image.Image | None:
    """The JPEG ``data`` (an image of ``size``, RGB or grayscale) decoded at the DCT scale
    that ``request`` calls for and resized to ``target`` with Lanczos 3, as a Pillow image
    in the file's own colours and orientation; None to decode it with Pillow instead."""
    pyvips = _pyvips()
    if pyvips is None:
        return None
    try:
        image = pyvips.Image.jpegload_buffer(
            data, shrink=dct_shrink(size, request), access="sequential", fail_on="warning"
        )
        if image.bands not in (1, 3) or image.format != "uchar":
            return None
        resized = image.resize(
            target[0] / image.width, vscale=target[1] / image.height, kernel="lanczos3"
        )
        if (resized.width, resized.height) != target:
            return None
        pixels = resized.write_to_memory()
    except pyvips.Error:
        return None
    mode = "L" if resized.bands == 1 else "RGB"
    return Image.frombuffer(mode, target, pixels, "raw", mode, 0, 1)
