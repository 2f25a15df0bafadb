"""The feed: rendered previews/thumbnails → model-ready pixels → vectors, decode and inference
overlapping.

Inputs are the pipeline's own derivatives (thumbnails/), never originals: already oriented,
sRGB, small. ``preprocess`` decodes one with Pillow (JPEG through ``draft``, so a 1440 px
preview decodes at 1/4 scale, 360 px, for a fraction of the cost) and does CLIP's resize
(shortest side, bicubic) and center crop in one ``resize(box=...)`` that only touches the
cropped region. Cost and result: bench/embeddings.py.

``embed_files`` decodes in worker processes through the thumbnail renderer's pool
(``stages.pool.work_many``: crash isolation, bounded in-flight jobs) while the main
process runs the model. The pool hands out only two jobs per worker and its results must be
read to keep workers busy, so a feeder thread reads it into a bounded queue while the main
thread runs a batch: the pool's waiting and torch's kernels both release the GIL.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from PIL import Image

from media_pipeline.settings import available_cores

if TYPE_CHECKING:
    from media_pipeline.clip.model import ClipModel

__all__ = ["DECODER", "Preprocessing", "embed_files", "prepare", "preprocess"]

K = TypeVar("K")

# The pool's "module:function" for a worker (see stages.pool.resolve_function).
DECODER = "media_pipeline.clip.embed:decode_job"
BICUBIC = Image.Resampling.BICUBIC
OPENAI_CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class Preprocessing:
    """What a CLIP model expects (preprocessor_config.json): the shortest side resized to
    ``resize``, then a ``size`` × ``size`` center crop, then mean/std per channel. Plain
    data without torch, because it travels to the decode workers."""

    size: int = 224
    resize: int = 224
    mean: tuple[float, float, float] = OPENAI_CLIP_MEAN
    std: tuple[float, float, float] = OPENAI_CLIP_STD


def prepare(image: Image.Image, size: int = 224, resize: int | None = None) -> np.ndarray:
    """uint8 [size, size, 3] of an opened image: shortest side scaled to ``resize`` (default
    ``size``) with bicubic, center crop. Resizing only the crop's source box gives the same
    pixels as resize-then-crop without scaling the parts that are cropped away."""
    resize = resize or size
    if image.mode != "RGB":
        image = image.convert("RGBA").convert("RGB") if image.mode == "P" else image.convert("RGB")
    width, height = image.size
    side = min(width, height) * size / resize  # the crop, in source pixels
    left = (width - side) / 2
    top = (height - side) / 2
    box = (left, top, left + side, top + side)
    return np.asarray(image.resize((size, size), BICUBIC, box=box), dtype=np.uint8)


def preprocess(path: str | Path, size: int = 224, resize: int | None = None) -> np.ndarray:
    """Decode a rendered preview or thumbnail into CLIP's input: uint8 [size, size, 3], RGB."""
    resize = resize or size
    with Image.open(path) as image:
        if image.format == "JPEG":
            # DCT scaling to the smallest scale that keeps both sides >= the resize target
            # (for the short side: at least ``resize`` px; Pillow never goes below the request).
            image.draft("RGB", (resize, resize))
        image.load()
        return prepare(image, size, resize)


def decode_job(path: str, settings: Preprocessing) -> np.ndarray:
    """The pool's job function (runs in a worker)."""
    return preprocess(path, settings.size, settings.resize)


_DONE = object()


def _default_workers(model: ClipModel) -> int:
    """Decode processes for ``embed_files``: on a GPU the model waits for pixels, so every
    core decodes. On a CPU the model is 5-20 times slower than decoding (bench/embeddings.py,
    2 cores: ViT-B/32 at 17 images/s in float32, 53 with bfloat16 autocast; one core decodes
    about 290 previews/s): a thread of this process keeps it fed (end to end 52 images/s),
    and processes would only take cores from torch."""
    return available_cores() if model.device.type == "cuda" else 1


def embed_files(
    model: ClipModel,
    paths: Iterable[tuple[K, str | Path]],
    batch_size: int = 64,
    workers: int | None = None,
) -> Iterator[tuple[K, np.ndarray | Exception]]:
    """``(key, vector)`` for each ``(key, path)``, or ``(key, exception)`` for a file that
    could not be decoded (never raised: one bad thumbnail must not stop a run). Results come
    as batches finish, not in input order.

    ``workers``: decode processes (default: every core with CUDA; on CPU 1, which decodes
    in a thread of this process, with no process start-up); 0 or 1 decodes in that thread.
    Memory stays flat: at most ``3 * batch_size`` decoded images (150 kB each) wait for the
    model. ``paths`` is iterated in a helper thread (a database cursor behind it must not be
    used by the caller meanwhile). Closing the generator early stops the decoding once the
    file being decoded is done.
    """
    from media_pipeline.stages.pool import work_many

    settings = model.preprocessing
    if workers is None:
        workers = _default_workers(model)
    jobs = ((key, str(path)) for key, path in paths)
    ready: queue.Queue[Any] = queue.Queue(maxsize=2 * batch_size)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def feed() -> None:
        results = work_many(jobs, settings, workers, DECODER)  # type: ignore[arg-type]
        try:
            for item in results:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # the pool itself failed: hand it to the caller
            put((_DONE, exc))
        finally:
            results.close()  # stops the workers, also when the caller stopped early

    feeder = threading.Thread(target=feed, name="clip-decode-feeder", daemon=True)
    feeder.start()
    keys: list[Any] = []
    pixels: list[np.ndarray] = []
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                break
            key, result = item
            if key is _DONE:
                raise result
            if isinstance(result, np.ndarray):
                keys.append(key)
                pixels.append(result)
            else:
                yield key, result if isinstance(result, Exception) else TypeError(repr(result))
            if len(pixels) >= batch_size:
                yield from _run(model, keys, pixels)
                keys, pixels = [], []
        if pixels:
            yield from _run(model, keys, pixels)
    finally:
        stop.set()
        feeder.join()


def _run(
    model: ClipModel, keys: list[Any], pixels: list[np.ndarray]
) -> Iterator[tuple[Any, np.ndarray]]:
    vectors = model.embed_images(np.stack(pixels))
    yield from zip(keys, vectors, strict=True)
