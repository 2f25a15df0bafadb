"""CLIP embedding benchmark (on demand, not a test): python bench/embeddings.py [--count N]
[--repeat N] [--batch N] [--workers 0,1,2] [--device auto|cpu|cuda] [--threads N]
[--precision auto|float32|float16|bfloat16-autocast]

Images/s of previews → vectors with a ViT-B/32-sized CLIP (``CLIPConfig()``'s defaults are
ViT-B/32: 12 layers, width 768, 224 px, 32 px patches, 512-d projection; random weights,
which cost the same as trained ones), for both inputs the pipeline has: 1440 px JPEG previews
(q80) and 250 px WebP thumbnails, made in a temporary folder from different crops of the
corpus' large photos (albums/text, the HEIC, the AVIF). Medians of ``--repeat`` runs (≥3;
[slowest-fastest] beside them) of:

- decode: ``preprocess`` alone (file → 224×224 uint8), in this process, and through the
  decode pool with each ``--workers`` count (pool start-up included: it is part of a run);
- model: ``embed_images`` on decoded batches of ``--batch`` (with "auto" precision on a CPU
  with native bfloat16, also without the autocast, in float32);
- end to end: ``embed_files`` (decode pool + model overlapping), per ``--workers`` count.

On CPU the model uses ``--threads`` torch threads (default: every core). Precision as
``load_clip``'s: "auto" is float16 on CUDA, bfloat16 autocast on CPUs that have it natively.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMMICH = REPO.parent / "shared" / "corpus" / "immich-test-assets"
sys.path.insert(0, str(REPO))


def build_inputs(root: Path, count: int) -> dict[str, list[Path]]:
    """``count`` 1440 px JPEG previews (q80) and their 250 px WebP thumbnails."""
    from PIL import Image

    from media_pipeline.metadata.formats import register_plugins

    register_plugins()
    sources = []
    for path in [
        *sorted((IMMICH / "albums" / "text").glob("*.jpg")),
        IMMICH / "formats" / "heic" / "IMG_2682.heic",
        IMMICH / "formats" / "avif" / "8bit-sRGB.avif",
    ]:
        with Image.open(path) as image:
            image.draft("RGB", (3000, 3000))
            sources.append(image.convert("RGB"))
    rng = random.Random(1)
    previews, thumbnails = [], []
    for index in range(count):
        image = sources[index % len(sources)]
        width, height = image.size
        crop_w, crop_h = int(width * rng.uniform(0.6, 1.0)), int(height * rng.uniform(0.6, 1.0))
        left, top = rng.randint(0, width - crop_w), rng.randint(0, height - crop_h)
        crop = image.crop((left, top, left + crop_w, top + crop_h))
        crop.thumbnail((1440, 1440), Image.Resampling.LANCZOS)
        preview = root / f"{index:04}.preview.jpg"
        crop.save(preview, quality=80)
        crop.thumbnail((250, 250), Image.Resampling.LANCZOS)
        thumbnail = root / f"{index:04}.thumb.webp"
        crop.save(thumbnail, quality=80, method=4)
        previews.append(preview)
        thumbnails.append(thumbnail)
    return {"1440 px JPEG previews": previews, "250 px WebP thumbnails": thumbnails}


def vit_b_32(device: str, threads: int | None, precision: str):
    """A random-weight ViT-B/32 CLIP in a ClipModel, set up the way load_clip sets one up."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    from media_pipeline.clip import model as clip_model
    from media_pipeline.clip.embed import Preprocessing

    torch_device = clip_model._device(device)
    dtype, autocast = clip_model._precision(torch_device, precision)
    if torch_device.type == "cpu":
        torch.set_num_threads(threads or clip_model.available_cores())
    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig()).to(torch_device, dtype).eval()
    return clip_model.ClipModel(
        model, None, Preprocessing(), "random-vit-b-32", torch_device, dtype, autocast
    )


def median_rate(count: int, runs: int, once: Callable[[], None]) -> tuple[float, str]:
    """(images/s of the median run, "min-max" images/s of all runs)."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        once()
        seconds.append(time.perf_counter() - started)
    spread = f"{count / max(seconds):.1f}-{count / min(seconds):.1f}"
    return count / statistics.median(seconds), spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=128, help="previews (and thumbnails)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--workers", default="0,1,2", help="decode pool sizes to compare")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--precision", default="auto", help="as load_clip's (end to end)")
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    worker_counts = [int(w) for w in args.workers.split(",")]

    import numpy as np
    import torch

    from media_pipeline.clip.embed import preprocess

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: something else is running, timings suffer")
    model = vit_b_32(args.device, args.threads, args.precision)
    print(
        f"torch {torch.__version__}, device {model.device} ({model.precision}), "
        f"{torch.get_num_threads()} torch threads, {os.cpu_count()} cores; "
        f"{args.count} images, batch {args.batch}, medians of {repeat} runs"
    )
    with tempfile.TemporaryDirectory(prefix="mp-bench-embeddings-") as tmp:
        inputs = build_inputs(Path(tmp), args.count)
        # Model-only does not depend on the input: decoded pixels are 224x224 either way.
        pixels = np.stack([preprocess(p) for p in inputs["250 px WebP thumbnails"]])
        variants = [model]
        if model.autocast is not None:  # and without autocast, for comparison
            plain = (model.model, None, model.preprocessing, "", model.device, model.dtype)
            variants.append(type(model)(*plain))
        print()
        for variant in variants:
            variant.embed_images(pixels[: args.batch])  # warm-up (allocator, kernels)

            def model_only(variant=variant) -> None:
                for start in range(0, len(pixels), args.batch):
                    variant.embed_images(pixels[start : start + args.batch])
                if variant.device.type == "cuda":
                    torch.cuda.synchronize()

            rate, spread = median_rate(len(pixels), repeat, model_only)
            label = f"model only, {variant.precision}:"
            print(f"{label:32}{rate:8.1f} images/s [{spread}] (decoded 224 px batches)")

        for name, files in inputs.items():
            size = sum(f.stat().st_size for f in files) / len(files) / 1024
            print(f"\n== {name} ({size:.0f} kB average)")
            measure(model, files, args.batch, repeat, worker_counts)


def measure(model, files: list[Path], batch: int, repeat: int, worker_counts: list[int]) -> None:
    """Decode-only and end-to-end rates for one kind of input."""
    import numpy as np

    from media_pipeline.clip.embed import DECODER, embed_files, preprocess
    from media_pipeline.stages.pool import work_many

    rate, spread = median_rate(len(files), repeat, lambda: [preprocess(f) for f in files])
    print(f"decode only, this process:      {rate:8.1f} images/s [{spread}]")
    jobs = [(i, str(f)) for i, f in enumerate(files)]

    def check(results) -> None:
        for _, result in results:
            if not isinstance(result, np.ndarray):
                raise SystemExit(f"failed: {result}")

    for workers in worker_counts:
        if workers > 1:
            pool = lambda w=workers: check(work_many(jobs, model.preprocessing, w, DECODER))  # noqa: E731
            rate, spread = median_rate(len(files), repeat, pool)
            print(
                f"decode only, {workers} processes:      {rate:8.1f} images/s [{spread}] "
                "(with start-up)"
            )
    for workers in worker_counts:
        run = lambda w=workers: check(embed_files(model, jobs, batch, w))  # noqa: E731
        rate, spread = median_rate(len(files), repeat, run)
        how = "a thread" if workers <= 1 else f"{workers} processes"
        print(f"end to end, decode in {how:11}: {rate:8.1f} images/s [{spread}]")


if __name__ == "__main__":
    main()
