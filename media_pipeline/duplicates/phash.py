"""Perceptual hashes (64-bit ints) and their Hamming distance, with numpy and Pillow alone.

CLIP embeddings say "same scene": two shots of a burst, a photo and its crop score 0.95+.
A perceptual hash compares the picture's coarse structure: a re-encoded or resized copy
stays within a few bits, a different shot of the same scene usually does not. The duplicate
finder requires both. pHash: the 8×8 lowest frequencies of the DCT of a 32×32 grey image,
each bit "above the median" (the same construction and bit values as imagehash.phash,
without its scipy/PyWavelets dependencies). dHash (left-right gradient signs of a 9×8 grey
image) is here for callers that want a second opinion; it is more sensitive to crops.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

__all__ = ["dhash", "distance", "hash_file", "phash"]

LANCZOS = Image.Resampling.LANCZOS
_PHASH_SIDE = 32
_PHASH_BITS = 8


@lru_cache(maxsize=1)
def _dct_matrix(side: int) -> np.ndarray:
    """The (unnormalised) DCT-II matrix: ``M @ x`` is scipy.fft.dct(x, type=2)."""
    n = np.arange(side)
    return 2.0 * np.cos(np.pi * np.outer(n, 2 * n + 1) / (2 * side))


def _grey(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGBA").convert("RGB") if "A" in image.mode else image.convert("RGB")
    return np.asarray(image.convert("L").resize(size, LANCZOS), dtype=np.float64)


def _bits(flags: np.ndarray) -> int:
    value = 0
    for bit in flags.reshape(-1):
        value = (value << 1) | int(bit)
    return value


def phash(image: Image.Image) -> int:
    """64-bit perceptual hash (DCT) of an image."""
    pixels = _grey(image, (_PHASH_SIDE, _PHASH_SIDE))
    matrix = _dct_matrix(_PHASH_SIDE)
    dct = matrix @ pixels @ matrix.T
    low = dct[:_PHASH_BITS, :_PHASH_BITS]
    return _bits(low > np.median(low))


def dhash(image: Image.Image) -> int:
    """64-bit difference hash (horizontal gradients) of an image."""
    pixels = _grey(image, (9, 8))
    return _bits(pixels[:, 1:] > pixels[:, :-1])


def distance(a: int, b: int) -> int:
    """Hamming distance: the number of differing bits."""
    return (a ^ b).bit_count()


def hash_file(path: str | Path) -> int:
    """pHash of an image file: meant for the pipeline's thumbnails (small, oriented, sRGB);
    an original is oriented by its EXIF tag first. JPEGs decode DCT-scaled (64 px is plenty)."""
    with Image.open(path) as image:
        if image.format == "JPEG":
            image.draft("RGB", (64, 64))
        oriented = ImageOps.exif_transpose(image)
        return phash(oriented)
