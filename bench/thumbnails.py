"""Thumbnail benchmark (on demand, not a test): python bench/thumbnails.py [--repeat N]
[--workers N] [--keep DIR] [--no-sharp] [--startup] [--whole-run] [--groups G ...] [--mixed N]

Builds a corpus from ../shared/corpus/immich-test-assets: 20 baseline q90 JPEGs of 12-24 MP
made from albums/text/*.jpg (re-encoded, each with a different crop, keeping the source's
embedded sRGB ICC profile as cameras write it), and as separate groups the same 20 without an
embedded profile ("no-profile", as many phones and exports write them), progressive JPEGs,
JPEGs stored sideways with EXIF orientation 6, and a 12 MP HEIC; with ``--mixed N``, also N
distinct crops without a profile, every third sideways (a whole run's fixed cost amortised).
Then, per group, the median images/s of ≥3 runs of:

- ours: ``work_many`` with ``--workers`` processes (default: every core) and with one;
  "warm" excludes the pool's start-up (the clock starts when the first real job is taken,
  after a few tiny warm-up jobs went through), "cold" is the whole call;
- sharp (libvips, Immich's engine; when ``node`` and ``npm`` are here, installed from npm
  into a cache folder), "decoding once" in two ways, both timed: "raw" decodes and resizes
  the original once to 1440 px raw pixels and encodes the JPEG from them and the 250 px
  WebP from a resize of the same pixels (exactly what ours does); "chain" makes the JPEG
  from the original and the thumbnail from that JPEG (shrink-on-load). Each runs with
  ``cores`` files in flight (libvips' one thread each, its glibc default) and with one file
  at a time on ``cores`` libvips threads. The best sharp figure is the one compared.

``--whole-run`` times what a user waits for instead, interleaved round by round: ours is
``media-pipeline run --select thumbnails`` in a new process on a new home whose library (the
group's folder) was scanned before the clock starts; sharp is two node processes started
together, each rendering half the files one at a time (``sharp.concurrency(1)``, decode once:
JPEG q80 and WebP q80 from the same pixels), as two workers would, start-up included.

SSIM (luma, Gaussian window σ=1.5, K1=0.01, K2=0.03) of the JPEG previews against a
reference preview: full decode, EXIF orientation, LANCZOS to the same size, encoded as a
JPEG with the same quality (like for like: both carry JPEG q80 noise); "vs pixels" is
against the reference's pixels before encoding. sharp's previews are scored the same way.

Why sharp is so much faster on some JPEGs than on others of the same size: an embedded ICC
profile. sharp converts through any embedded profile, sRGB included (2.4x slower here: 7.6 vs
18.5 images/s in two processes on the baseline files with and without their sRGB profile);
ours recognises a profile that is sRGB (or close enough not to change a pixel) and converts
only through others, on the small image. Both groups are measured for that reason.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cli_runs import REPO, home_env, timed_cli

IMMICH = REPO.parent / "shared" / "corpus" / "immich-test-assets"
sys.path.insert(0, str(REPO))

BASELINE = 20
PER_GROUP = 10
SHARP_VERSION = "0.35"
RENDER = "media_pipeline.thumbnails.render:render"  # the pool's worker function
SHARP_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mp-bench-sharp"


# --- corpus -------------------------------------------------------------------------------


def _sources():
    from PIL import Image

    images = []
    for path in sorted((IMMICH / "albums" / "text").glob("*.jpg")):
        with Image.open(path) as image:
            image.load()
            images.append((image.convert("RGB"), image.info.get("icc_profile")))
    return images


def _variant(image, rng: random.Random):
    """A different crop of a source, enlarged (LANCZOS) only when under 12 MP."""
    from PIL import Image

    width, height = image.size
    crop_w = int(width * rng.uniform(0.9, 1.0))
    crop_h = int(height * rng.uniform(0.9, 1.0))
    left, top = rng.randint(0, width - crop_w), rng.randint(0, height - crop_h)
    out = image.crop((left, top, left + crop_w, top + crop_h))
    if crop_w * crop_h < 12_000_000:
        scale = (12_200_000 / (crop_w * crop_h)) ** 0.5
        out = out.resize((round(crop_w * scale), round(crop_h * scale)), Image.Resampling.LANCZOS)
    return out


def build_corpus(root: Path) -> dict[str, list[Path]]:
    """The groups' files under ``root`` (made once; reused when present)."""
    from PIL import Image

    groups = {
        "baseline": [root / "baseline" / f"DSC_{i:04}.jpg" for i in range(BASELINE)],
        "no-profile": [root / "no-profile" / f"DSC_{i:04}.jpg" for i in range(BASELINE)],
        "progressive": [root / "progressive" / f"PRG_{i:04}.jpg" for i in range(PER_GROUP)],
        "orientation-6": [root / "orientation-6" / f"ROT_{i:04}.jpg" for i in range(PER_GROUP)],
        "heic": [root / "heic" / f"IMG_{i:04}.heic" for i in range(PER_GROUP)],
    }
    if all(path.is_file() for paths in groups.values() for path in paths):
        return groups
    print(f"building the corpus in {root} ...", flush=True)
    sources = _sources()
    rng = random.Random(1)
    for folder in groups:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(groups["baseline"]):
        image, icc = sources[index % len(sources)]
        _variant(image, rng).save(path, quality=90, icc_profile=icc)
    rng = random.Random(1)  # the same crops as the baseline group
    for index, path in enumerate(groups["no-profile"]):
        image, _ = sources[index % len(sources)]
        _variant(image, rng).save(path, quality=90)
    for index, path in enumerate(groups["progressive"]):
        image, icc = sources[index % len(sources)]
        _variant(image, rng).save(path, quality=90, progressive=True, icc_profile=icc)
    for index, path in enumerate(groups["orientation-6"]):
        image, icc = sources[index % len(sources)]
        exif = Image.Exif()
        exif[0x0112] = 6  # stored turned left: viewers turn it right
        stored = _variant(image, rng).transpose(Image.Transpose.ROTATE_90)
        stored.save(path, quality=90, icc_profile=icc, exif=exif)
    heic = (IMMICH / "formats" / "heic" / "IMG_2682.heic").read_bytes()
    for path in groups["heic"]:
        path.write_bytes(heic)
    return groups


def build_mixed(root: Path, count: int) -> list[Path]:
    """``count`` distinct crops of the sources, without a profile, every third stored
    sideways with EXIF orientation 6: a camera roll, big enough that a whole run's fixed
    cost is a small part of it (made once; reused when present)."""
    from PIL import Image

    folder = root / f"mixed-{count}"
    files = [folder / f"IMG_{i:04}.jpg" for i in range(count)]
    if all(path.is_file() for path in files):
        return files
    print(f"building {count} mixed files in {folder} ...", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    sources, rng = _sources(), random.Random(2)
    for index, path in enumerate(files):
        image = _variant(sources[index % len(sources)][0], rng)
        if index % 3 == 2:
            exif = Image.Exif()
            exif[0x0112] = 6
            image.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif)
        else:
            image.save(path, quality=90)
    return files


# --- ours ---------------------------------------------------------------------------------

_WARMUP = IMMICH / "albums" / "nature" / "el_torcal_rocks.jpg"


def run_ours(files: list[Path], workers: int) -> tuple[float, float, dict[str, bytes]]:
    """(warm seconds, cold seconds, previews by path) of one work_many call."""
    from media_pipeline.stages.pool import work_many
    from media_pipeline.thumbnails.render import Rendered, RenderSettings

    clock: dict[str, float] = {}
    warmups = 2 * max(workers, 1)

    def jobs() -> Iterator[tuple[int, str]]:
        for index in range(warmups):
            yield -1 - index, str(_WARMUP)
        clock["warm"] = time.perf_counter()  # asked for more: a worker is up and free
        yield from enumerate(str(f) for f in files)

    previews: dict[str, bytes] = {}
    started = time.perf_counter()
    for key, result in work_many(jobs(), RenderSettings(), workers, RENDER):
        if key < 0:
            continue
        if not isinstance(result, Rendered):
            raise SystemExit(f"{files[key]}: {result}")
        previews[str(files[key])] = result.preview
    finished = time.perf_counter()
    return finished - clock["warm"], finished - started, previews


# --- sharp --------------------------------------------------------------------------------

_SHARP_SCRIPT = r"""
const sharp = require('sharp');
const fs = require('fs');
const path = require('path');
const [files, repeat, cores, outdir] = JSON.parse(process.argv[2]);
sharp.cache(false);
const fit = {fit: 'inside', withoutEnlargement: true};

async function raw(file) {  // decode + resize once; JPEG and WebP from the same pixels
  const {data, info} = await sharp(file).rotate().resize(1440, 1440, fit)
    .raw().toBuffer({resolveWithObject: true});
  const opts = {raw: {width: info.width, height: info.height, channels: info.channels}};
  const [preview] = await Promise.all([
    sharp(data, opts).jpeg({quality: 80}).toBuffer(),
    sharp(data, opts).resize(250, 250, fit).webp({quality: 80}).toBuffer(),
  ]);
  return preview;
}
async function chain(file) {  // the JPEG from the original, the thumbnail from the JPEG
  const preview = await sharp(file).rotate().resize(1440, 1440, fit).jpeg({quality: 80}).toBuffer();
  await sharp(preview).resize(250, 250, fit).webp({quality: 80}).toBuffer();
  return preview;
}
async function pass(fn, inFlight, keep) {
  let next = 0;
  const started = process.hrtime.bigint();
  async function lane() {
    while (next < files.length) {
      const file = files[next++];
      const preview = await fn(file);
      if (keep) fs.writeFileSync(path.join(outdir, path.basename(file) + '.jpg'), preview);
    }
  }
  await Promise.all(Array.from({length: inFlight}, lane));
  return Number(process.hrtime.bigint() - started) / 1e9;
}
(async () => {
  const results = {};
  for (const [name, fn] of [['raw', raw], ['chain', chain]]) {
    for (const [mode, inFlight, threads] of [['parallel', cores, 1], ['sequential', 1, cores]]) {
      sharp.concurrency(threads);
      await pass(fn, inFlight, false);  // warm-up
      const times = [];
      for (let i = 0; i < repeat; i++) {
        times.push(await pass(fn, inFlight, name === 'raw' && i === 0));
      }
      results[`${name}/${mode}`] = times;
    }
  }
  console.log(JSON.stringify({versions: sharp.versions, results}));
})().catch((error) => { console.error(error); process.exit(1); });
"""


_SHARP_HALF = r"""
const sharp = require('sharp');
const files = JSON.parse(process.argv[2]);
sharp.cache(false);
sharp.concurrency(1);
const fit = {fit: 'inside', withoutEnlargement: true};
(async () => {
  for (const file of files) {
    const {data, info} = await sharp(file).rotate().resize(1440, 1440, fit)
      .raw().toBuffer({resolveWithObject: true});
    const opts = {raw: {width: info.width, height: info.height, channels: info.channels}};
    await sharp(data, opts).jpeg({quality: 80}).toBuffer();
    await sharp(data, opts).resize(250, 250, fit).webp({quality: 80}).toBuffer();
  }
})().catch((error) => { console.error(error); process.exit(1); });
"""


def sharp_dir() -> Path | None:
    """A folder with sharp installed from npm, or None (no node/npm, offline)."""
    if not shutil.which("node") or not shutil.which("npm"):
        print("sharp: node/npm not found, skipped")
        return None
    if (SHARP_CACHE / "node_modules" / "sharp").is_dir():
        return SHARP_CACHE
    SHARP_CACHE.mkdir(parents=True, exist_ok=True)
    print(f"installing sharp@{SHARP_VERSION} from npm into {SHARP_CACHE} ...", flush=True)
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(SHARP_CACHE),
         f"sharp@{SHARP_VERSION}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        print(f"sharp: npm install failed, skipped\n{done.stderr[-2000:]}")
        return None
    return SHARP_CACHE


def run_sharp(where: Path, files: list[Path], repeat: int, cores: int, outdir: Path) -> dict:
    script = where / "bench-thumbnails.js"
    script.write_text(_SHARP_SCRIPT)
    outdir.mkdir(parents=True, exist_ok=True)
    argument = json.dumps([[str(f) for f in files], repeat, cores, str(outdir)])
    done = subprocess.run(
        ["node", str(script), argument], cwd=where, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def sharp_processes(where: Path, files: list[Path], processes: int) -> float:
    """Seconds for ``processes`` node processes, started together, each rendering its share."""
    script = where / "bench-thumbnails-half.js"
    script.write_text(_SHARP_HALF)
    shares = [files[index::processes] for index in range(processes)]
    started = time.perf_counter()
    running = [
        subprocess.Popen(["node", str(script), json.dumps([str(f) for f in share])], cwd=where)
        for share in shares
    ]
    if any(process.wait() != 0 for process in running):
        raise subprocess.CalledProcessError(1, "node")
    return time.perf_counter() - started


# --- the whole run ------------------------------------------------------------------------


def run_whole(folder: Path, scratch: Path) -> float:
    """Seconds of `media-pipeline run --select thumbnails` on a new home, the scan done."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    env = home_env(home)
    timed_cli(env, "library", "add", folder.name, str(folder))
    timed_cli(env, "run", "--select", "media_catalog")
    seconds = timed_cli(env, "run", "--select", "thumbnails")
    shutil.rmtree(home)
    return seconds


def whole_runs(groups: dict[str, list[Path]], where: Path | None, repeat: int, root: Path) -> None:
    processes = os.cpu_count() or 1
    scratch = root / "whole-run"
    scratch.mkdir(exist_ok=True)
    for name, files in groups.items():
        folder = files[0].parent
        distinct = len({f.read_bytes() for f in files})
        print(f"\n== {name}: {len(files)} files ({distinct} distinct), whole runs")
        ours, sharp = [], []
        for _ in range(repeat):
            ours.append(run_whole(folder, scratch))
            if where is not None and name != "heic":  # sharp's npm build reads no HEIC
                sharp.append(sharp_processes(where, files, processes))
        ours_rate = _rate(distinct, ours)
        print(f"ours  media-pipeline run --select thumbnails: {statistics.median(ours):6.2f} s, "
              f"{ours_rate:6.2f} images/s")  # fmt: skip
        if sharp:
            sharp_rate = _rate(len(files), sharp)
            print(f"sharp {processes} node processes, one file at a time: "
                  f"{statistics.median(sharp):6.2f} s, {sharp_rate:6.2f} images/s")  # fmt: skip
            print(f"ours/sharp: {ours_rate / sharp_rate:.2f}x")


# --- quality ------------------------------------------------------------------------------


def luma(image):
    import numpy as np

    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def ssim(a, b) -> float:
    """Mean SSIM of two same-sized images' luma (Wang et al. 2004, Gaussian σ=1.5)."""
    from scipy.ndimage import gaussian_filter

    x, y = luma(a), luma(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return gaussian_filter(z, 1.5, truncate=3.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    ssim_map = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(ssim_map.mean())


def reference(path: Path, size: tuple[int, int]):
    """(pixels, decoded JPEG q80) of the full-quality preview of ``path`` at ``size``."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image.convert("RGB"))
    pixels = upright.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    pixels.save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    return pixels, Image.open(buffer).convert("RGB")


def score(previews: dict[str, bytes]) -> tuple[list[float], list[float]]:
    """SSIM against the reference JPEG and against the reference pixels, per file."""
    from PIL import Image

    like, pixels = [], []
    for path, data in previews.items():
        preview = Image.open(io.BytesIO(data)).convert("RGB")
        ref_pixels, ref_jpeg = reference(Path(path), preview.size)
        like.append(ssim(preview, ref_jpeg))
        pixels.append(ssim(preview, ref_pixels))
    return like, pixels


# --- start-up -----------------------------------------------------------------------------


def startup(repeat: int, workers: int) -> None:
    """Seconds from calling work_many to the last of ``workers`` tiny results, per start
    method (the pool's START_METHOD is patched for the measurement)."""
    import media_pipeline.stages.pool as pool
    from media_pipeline.thumbnails.render import RenderSettings

    chosen = pool.START_METHOD
    try:
        for method in ("spawn", "forkserver", "fork"):
            pool.START_METHOD = method
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                jobs = [(i, str(_WARMUP)) for i in range(workers)]
                list(pool.work_many(jobs, RenderSettings(), workers, RENDER))
                times.append(time.perf_counter() - started)
            print(
                f"start-up, {method:10} {workers} workers: median {statistics.median(times):.3f} s"
            )
    finally:
        pool.START_METHOD = chosen


# --- main ---------------------------------------------------------------------------------


def _rate(count: int, seconds: list[float]) -> float:
    return count / statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="make (or reuse) the corpus in this folder")
    parser.add_argument("--no-sharp", action="store_true", help="skip the sharp comparison")
    parser.add_argument("--startup", action="store_true", help="also time pool start-up")
    parser.add_argument("--groups", nargs="*", help="only these groups")
    parser.add_argument(
        "--mixed", type=int, default=0, metavar="N", help="add a group of N mixed crops"
    )
    parser.add_argument(
        "--whole-run", action="store_true", help="time `media-pipeline run` against sharp"
    )
    args = parser.parse_args()
    repeat = max(args.repeat, 1)

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: something else is running, timings suffer")
    temporary = None
    if args.keep:
        root = args.keep
    else:
        temporary = tempfile.TemporaryDirectory(prefix="bench-thumbnails-")
        root = Path(temporary.name)
    try:
        groups = build_corpus(root)
        if args.groups:
            groups = {name: files for name, files in groups.items() if name in args.groups}
        if args.mixed:
            groups[f"mixed-{args.mixed}"] = build_mixed(root, args.mixed)
        if args.startup:
            startup(repeat, args.workers)
        where = None if args.no_sharp else sharp_dir()
        if args.whole_run:
            whole_runs(groups, where, repeat, root)
            return
        cores = os.cpu_count() or 1
        for name, files in groups.items():
            megapixels = _megapixels(files)
            print(f"\n== {name}: {len(files)} files, {megapixels:.1f} MP average")
            previews: dict[str, bytes] = {}
            ours: dict[int, float] = {}
            for workers in dict.fromkeys((args.workers, 1)):
                warm, cold = [], []
                for _ in range(repeat):
                    w, c, previews = run_ours(files, workers)
                    warm.append(w)
                    cold.append(c)
                ours[workers] = _rate(len(files), warm)
                print(
                    f"ours   workers={workers}: {ours[workers]:6.2f} images/s warm "
                    f"({_rate(len(files), cold):.2f} cold, with the pool's start-up)"
                )
            best_sharp = None
            sharp_previews: dict[str, bytes] = {}
            if where is not None:
                outdir = root / "sharp-out" / name
                try:
                    report = run_sharp(where, files, repeat, cores, outdir)
                except subprocess.CalledProcessError as error:
                    reason = (error.stderr or "").strip().splitlines()[:1]
                    print(f"sharp: cannot render this group ({' '.join(reason)})")
                    report = {"results": {}}
                for variant, times in report["results"].items():
                    rate = _rate(len(files), times)
                    best_sharp = max(best_sharp or 0.0, rate)
                    print(f"sharp  {variant:19}: {rate:6.2f} images/s")
                for f in files:
                    if (outdir / (f.name + ".jpg")).is_file():
                        sharp_previews[str(f)] = (outdir / (f.name + ".jpg")).read_bytes()
            if best_sharp:
                print(
                    f"ours/sharp: {ours[args.workers] / best_sharp:.2f}x "
                    f"(workers={args.workers} vs the best sharp figure, {best_sharp:.2f}/s; "
                    f"sharp {report['versions']['sharp']}, libvips {report['versions']['vips']})"
                )
            if name == "heic":
                continue  # the reference would need the same P3 conversion: JPEG groups only
            for who, made in (("ours", previews), ("sharp", sharp_previews)):
                if not made:
                    continue
                like, pixels = score(made)
                print(
                    f"SSIM {who:5} vs reference JPEG q80: mean {statistics.mean(like):.4f} "
                    f"min {min(like):.4f}; vs pixels: mean {statistics.mean(pixels):.4f} "
                    f"min {min(pixels):.4f}"
                )
    finally:
        if temporary is not None:
            temporary.cleanup()


def _megapixels(files: list[Path]) -> float:
    from PIL import Image

    from media_pipeline.metadata.formats import register_plugins

    register_plugins()
    sizes = []
    for path in files:
        with Image.open(path) as image:
            sizes.append(image.size[0] * image.size[1] / 1e6)
    return statistics.mean(sizes)


if __name__ == "__main__":
    main()
