"""Scan benchmark (on demand, not a test): python bench/scan.py [--small N] [--large N] [--repeat N]
[--against CHECKOUT] [--whole-run] [--dagster-share]

Builds a synthetic library — N small JPEGs in nested folders plus real-size JPEGs made from
../shared/corpus/immich-test-assets — and reports medians of: content-hash throughput, first
scan files/s, rescan with no changes, rescan after touching 1% of files, peak RSS (at two
library sizes, to show it stays flat), and a 1,000-photo first scan as a Dagster run against
the scan function alone, interleaved (`--dagster-share` runs that alone); then
the first scan of N files that are only --contents distinct contents (hard links: copies
everywhere, as a backup of backups), against N distinct files, interleaved.
`--copies-only` runs that comparison alone. Each measurement runs in a fresh Python process
so peak RSS is its own. `--whole-run` times what a user waits for instead: `media-pipeline run
--select media_catalog` (first scan, then an unchanged rescan) of the N small files against
the same of a one-file library, interleaved, so the run's fixed cost can be told apart.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cli_runs import REPO, home_env, timed_cli

SCAN_RUNS = ("first scan", "rescan")  # of the same fresh home, in this order
IMMICH = REPO.parent / "shared" / "corpus" / "immich-test-assets"
LARGE_SOURCES = [
    "albums/text/craft-beer.jpg",
    "albums/text/book-beside-flowers.jpg",
    "albums/text/handwritten-notes.jpg",
    "albums/text/japanese-shop.jpg",
]


def _with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment after SOI: valid, and a distinct content hash."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def build_library(root: Path, small: int, large: int) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 140, 200)).save(buffer, "JPEG", quality=80)
    tiny = buffer.getvalue()
    per_dir = 250
    for index in range(small):
        quarter, rest = divmod(index, max(small // 4, 1))
        folder = root / "small" / f"q{min(quarter, 3)}" / f"d{rest // per_dir:03}"
        if index % per_dir == 0 or not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"IMG_{index:06}.jpg").write_bytes(_with_comment(tiny, str(index)))
    sources = [(IMMICH / name).read_bytes() for name in LARGE_SOURCES]
    big = root / "large"
    big.mkdir(parents=True, exist_ok=True)
    for index in range(large):
        data = _with_comment(sources[index % len(sources)], f"copy {index}")
        (big / f"DSC_{index:05}.jpg").write_bytes(data)


def build_copies(root: Path, count: int, contents: int) -> None:
    """``count`` paths in nested folders, hard links of ``contents`` distinct small JPEGs."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 140, 90)).save(buffer, "JPEG", quality=80)
    originals = root / "originals"
    originals.mkdir(parents=True, exist_ok=True)
    sources = []
    for index in range(contents):
        source = originals / f"content_{index}.jpg"
        source.write_bytes(_with_comment(buffer.getvalue(), f"content {index}"))
        sources.append(source)
    per_dir = 250
    for index in range(count - contents):
        folder = root / "copies" / f"d{index // per_dir:04}"
        if index % per_dir == 0:
            folder.mkdir(parents=True, exist_ok=True)
        os.link(sources[index % contents], folder / f"IMG_{index:06}.jpg")


def child(spec: dict) -> dict:
    """One measurement in this fresh process; prints its result as JSON."""
    os.environ["MEDIA_PIPELINE_HOME"] = spec["home"]
    os.environ["DAGSTER_HOME"] = os.path.join(spec["home"], "dagster")
    from media_pipeline import settings
    from media_pipeline.catalog.store import open_catalog
    from media_pipeline.scan.scanner import scan_library

    catalog = open_catalog(settings.database_url())
    library = catalog.add_library(spec["name"], spec["root"])
    if spec["mode"] == "touch":
        paths = sorted(Path(spec["root"]).rglob("*.jpg"))
        now = time.time()
        for path in random.Random(1).sample(paths, len(paths) // 100):
            os.utime(path, (now, now))
    result: dict = {}
    started = time.perf_counter()
    if spec["mode"] == "dagster":
        import dagster as dg

        from media_pipeline.definitions import defs
        from media_pipeline.runtime.instance import get_instance
        from media_pipeline.runtime.partitions import sync_library_partitions

        instance = get_instance()
        sync_library_partitions(instance, [library.name])
        job = defs.resolve_job_def("scan_library")
        started = time.perf_counter()
        run = job.execute_in_process(instance=instance, partition_key=library.name)
        wall = time.perf_counter() - started
        [event] = run.get_asset_materialization_events()
        metadata = event.step_materialization_data.materialization.metadata
        result["scan_seconds"] = metadata["seconds"].value
        result["new"] = metadata["new"].value
        result["seconds"] = wall
        assert isinstance(instance, dg.DagsterInstance)
    else:
        counts = scan_library(catalog, library)
        result.update(counts.as_dict())
        result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def measure(spec: dict) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement {spec['mode']} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def hash_rates(megabytes: int = 256, repeat: int = 3) -> dict[str, float]:
    import blake3
    import xxhash

    data = os.urandom(megabytes << 20)
    candidates = {
        "xxh3_128": lambda: xxhash.xxh3_128_hexdigest(data),
        "blake3": lambda: blake3.blake3(data).hexdigest(),
        "sha1": lambda: hashlib.sha1(data).hexdigest(),
    }
    rates = {}
    for name, run in candidates.items():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        rates[name] = megabytes / 1024 / statistics.median(times)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to build the library (default: temp)")
    parser.add_argument("--contents", type=int, default=10, help="distinct contents (copies)")
    parser.add_argument("--copies-only", action="store_true", help="only the copies comparison")
    parser.add_argument(
        "--against",
        type=Path,
        help="only compare `media-pipeline run --select media_catalog` (first scan, rescan) of "
        "the real-size JPEGs with the checkout at this path, interleaved",
    )
    parser.add_argument(
        "--whole-run",
        action="store_true",
        help="only time `media-pipeline run --select media_catalog` of the small files against "
        "a one-file library, interleaved",
    )
    parser.add_argument(
        "--dagster-share",
        action="store_true",
        help="only compare the first scan of the real-size JPEGs as a Dagster run against the "
        "scan function, interleaved",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    workdir = Path(args.dir or tempfile.mkdtemp(prefix="bench-scan-"))
    root = workdir / "library"
    if args.copies_only:
        copies_comparison(workdir, args.small, args.contents, args.repeat)
        return
    if not root.exists():
        started = time.perf_counter()
        build_library(root, args.small, args.large)
        print(
            f"built {args.small} small + {args.large} large JPEGs in "
            f"{time.perf_counter() - started:.1f} s under {root}"
        )
    if args.against:
        cli_comparison(root / "large", args.against.resolve(), args.repeat)
        return
    if args.whole_run:
        whole_runs(workdir, root / "small", args.repeat)
        return
    if args.dagster_share:
        dagster_share(workdir, root / "large", args.large, args.repeat)
        return

    print("content hash, GB/s on one core (256 MB in memory, median of 3):")
    for name, rate in hash_rates().items():
        print(f"  {name:9} {rate:6.2f}")

    def runs(label: str, specs: list[dict], key: str = "seconds") -> list[dict]:
        results = [measure(spec) for spec in specs]
        values = [r[key] for r in results]
        print(
            f"{label}: median {statistics.median(values):.3f} s "
            f"({', '.join(f'{v:.3f}' for v in values)}); "
            f"peak RSS {statistics.median(r['peak_rss_mb'] for r in results):.0f} MB"
        )
        return results

    def home(tag: str) -> str:
        return str(workdir / "homes" / tag)

    small = str(root / "small")
    quarter = str(root / "small" / "q0")
    for size, folder in ((args.small // 4, quarter), (args.small, small)):
        firsts = runs(
            f"first scan, {size} small files",
            [
                {"mode": "scan", "home": home(f"s{size}-{i}"), "root": folder, "name": "b"}
                for i in range(args.repeat)
            ],
        )
        rate = statistics.median(r["seen"] / r["seconds"] for r in firsts)
        print(f"  -> {rate:.0f} files/s")
        runs(
            f"rescan, no changes, {size} files",
            [
                {"mode": "scan", "home": home(f"s{size}-0"), "root": folder, "name": "b"}
                for _ in range(args.repeat)
            ],
        )
    runs(
        f"rescan after touching 1% of {args.small} files",
        [
            {"mode": "touch", "home": home(f"s{args.small}-0"), "root": small, "name": "b"}
            for _ in range(args.repeat)
        ],
    )
    dagster_share(workdir, root / "large", args.large, args.repeat)
    copies_comparison(workdir, args.small, args.contents, args.repeat)


def dagster_share(workdir: Path, large: Path, count: int, repeat: int) -> None:
    """First scan of the real-size JPEGs by the scan function alone and as a Dagster run
    (execute_in_process on the instance: run creation, step events, checks), taking turns."""
    results: dict[str, list[dict]] = {"scan": [], "dagster": []}
    for index in range(repeat):
        for mode in results:
            home = str(workdir / "homes" / f"l-{mode}-{index}")
            spec = {"mode": mode, "home": home, "root": str(large), "name": "b"}
            results[mode].append(measure(spec))
    direct, dagster = (statistics.median(r["seconds"] for r in results[m]) for m in results)
    rate = statistics.median(r["seen"] / r["seconds"] for r in results["scan"])
    print(f"first scan, {count} real-size JPEGs, medians of {repeat} in turns:")
    print(f"  scan function alone {direct:.2f} s ({rate:.1f} files/s)")
    print(f"  as a Dagster run    {dagster:.2f} s: {100 * (dagster / direct - 1):+.1f}%")


def _first_scan_and_rescan(checkout: Path, library: Path, scratch: Path | None = None) -> dict:
    """Seconds of the whole `media-pipeline run --select media_catalog`, first scan and an
    unchanged rescan, on a fresh home."""
    with tempfile.TemporaryDirectory(dir=scratch) as home:
        env = home_env(Path(home), checkout)
        timed_cli(env, "library", "add", "lib", str(library))
        return {kind: timed_cli(env, "run", "--select", "media_catalog") for kind in SCAN_RUNS}


def cli_comparison(library: Path, other: Path, repeat: int) -> None:
    """What a user times: the whole `media-pipeline run --select media_catalog`, first scan
    and unchanged rescan in a fresh home, this checkout and ``other`` taking turns."""
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeat):
        for name, checkout in (("other", other), ("this", REPO)):
            for kind, seconds in _first_scan_and_rescan(checkout, library).items():
                times.setdefault((name, kind), []).append(seconds)
    print(f"`media-pipeline run --select media_catalog`, {library}, medians of {repeat}:")
    for (name, kind), values in times.items():
        label = f"{name} ({other if name == 'other' else REPO})"
        print(f"  {kind:10} {label}: {statistics.median(values):.3f} s")


def whole_runs(workdir: Path, library: Path, repeat: int) -> None:
    """First scan and unchanged rescan as whole runs of ``library`` and of a one-file
    library, taking turns; what the files add beyond the run's fixed cost."""
    one = workdir / "one-file"
    if not one.exists():
        one.mkdir()
        first = next(library.rglob("*.jpg"))
        (one / first.name).write_bytes(first.read_bytes())
    count = sum(1 for _ in library.rglob("*.jpg"))
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeat):
        for name, folder in (("one file", one), (f"{count} files", library)):
            for kind, seconds in _first_scan_and_rescan(REPO, folder, workdir).items():
                times.setdefault((name, kind), []).append(seconds)
    print(f"`media-pipeline run --select media_catalog`, medians of {repeat}:")
    for kind in SCAN_RUNS:
        base = statistics.median(times[("one file", kind)])
        full = statistics.median(times[(f"{count} files", kind)])
        beyond = full - base
        rate = f", {count / beyond:.0f} files/s" if kind == "first scan" and beyond > 0 else ""
        print(f"  {kind:10} one file {base:.2f} s, {count} files {full:.2f} s: "
              f"{beyond:.2f} s beyond the one-file run{rate}")  # fmt: skip


def copies_comparison(workdir: Path, count: int, contents: int, repeat: int) -> None:
    """First scans of ``count`` distinct files and of ``count`` copies of ``contents``
    contents, interleaved (so load on a shared machine hits both alike); the rate ratio."""
    distinct, copies = workdir / "distinct", workdir / "copies"
    if not distinct.exists():
        build_library(distinct, count, 0)
    if not copies.exists():
        build_copies(copies, count, contents)
    rates: dict[str, list[float]] = {"distinct": [], "copies": []}
    for index in range(repeat):
        for label, root in (("distinct", distinct), ("copies", copies)):
            home = str(workdir / "homes" / f"{label}-{index}")
            result = measure({"mode": "scan", "home": home, "root": str(root), "name": "b"})
            rates[label].append(result["seen"] / result["seconds"])
    for label, values in rates.items():
        shown = ", ".join(f"{v:.0f}" for v in values)
        median = statistics.median(values)
        print(f"first scan, {count} files, {label}: median {median:.0f} files/s ({shown})")
    ratio = statistics.median(rates["copies"]) / statistics.median(rates["distinct"])
    print(
        f"  -> {contents} contents x {count // contents} copies at {ratio:.2f}x the distinct rate"
    )


if __name__ == "__main__":
    main()
