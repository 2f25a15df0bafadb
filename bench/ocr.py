"""OCR benchmark (on demand, not a test): python bench/ocr.py [--repeat N] [--threads 1,2]
[--device cpu|cuda|auto] [--detection 960,rapidocr]

``read_text`` (PP-OCRv4 through rapidocr-onnxruntime) on 1440 px previews of the corpus
photos: the four with text (../shared/corpus/immich-test-assets/albums/text) and the nine
without (albums/nature), each made upright, RGB, reduced with LANCZOS and saved as a JPEG q80
like the pipeline's previews before any clock starts. One warm-up photo per model, then the
median of ``--repeat`` interleaved passes over all photos per ONNX Runtime thread count:
photos/s for photos with text and without (detection alone decides a photo has none: much
cheaper) and lines found. ``--detection``: the longest side text detection sees (the
pipeline's is ``DETECTION_SIDE``), "rapidocr" for RapidOCR's own (the whole preview).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

from media_pipeline.ocr.read import DETECTION_SIDE, load_ocr, read_text

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "immich-test-assets"


def previews(folder: Path, out: Path) -> list[Path]:
    made = []
    for path in sorted(folder.glob("*.jp*g")):
        with Image.open(path) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail((1440, 1440), Image.LANCZOS)
        target = out / f"{folder.name}-{path.stem}.jpg"
        upright.save(target, "JPEG", quality=80)
        made.append(target)
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--detection", default=f"{DETECTION_SIDE},rapidocr")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        groups = {
            "with text": previews(CORPUS / "albums" / "text", Path(tmp)),
            "without text": previews(CORPUS / "albums" / "nature", Path(tmp)),
        }
        models = {
            f"threads={n} detection={side}": load_ocr(
                args.device, int(n), None if side == "rapidocr" else int(side)
            )
            for n in args.threads.split(",")
            for side in args.detection.split(",")
        }
        seconds: dict[tuple[str, str], list[float]] = {}
        lines: dict[tuple[str, str], int] = {}
        for model in models.values():
            read_text(model, groups["with text"][0])  # warm-up
        for _ in range(args.repeat):  # interleaved: a noisy machine hits every setting alike
            for name, model in models.items():
                for group, photos in groups.items():
                    started = time.perf_counter()
                    lines[name, group] = sum(len(read_text(model, p)) for p in photos)
                    seconds.setdefault((name, group), []).append(time.perf_counter() - started)
        for (name, group), times in seconds.items():
            count = len(groups[group])
            median = statistics.median(times)
            print(
                f"{models[name].device} {name} {group}: {count} photos, "
                f"{lines[name, group]} lines, median {median:.2f} s = "
                f"{count / median:.2f} photos/s"
            )


if __name__ == "__main__":
    main()
