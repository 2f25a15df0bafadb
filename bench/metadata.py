"""Metadata benchmark (on demand, not a test): python bench/metadata.py [--count N] [--repeat N]

Decides whether a well-kept metadata library should replace our readers (Pillow, ExifRead,
defusedxml): for each reader, a coverage table of the date, place and description fields on
the corpus (../shared/corpus plus a few files exiftool writes with the tags the corpus lacks:
XMP GPSDateTime, IPTC dates with an offset, a QuickTime creationdate), and files/s on N
real-size JPEGs (12–24 MP pixels from the corpus, each carrying the APP segments — EXIF, XMP,
IPTC — of one of the corpus photos with metadata), beside `exiftool -json -n` in batch on the
same files. Readers: ours (`extract_metadata`, what the scan runs), python-exiv2 (`exiv2`),
pyexiv2, and exiftool. Needs exiftool (Debian's libimage-exiftool-perl) and `pip install
exiv2 pyexiv2`. Medians of interleaved repeats.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"
PIXEL_SOURCES = [
    "immich-test-assets/albums/text/craft-beer.jpg",
    "immich-test-assets/albums/text/book-beside-flowers.jpg",
    "immich-test-assets/albums/text/handwritten-notes.jpg",
    "immich-test-assets/albums/text/japanese-shop.jpg",
]
FIELDS = ("date", "gps", "description", "rating", "keywords")
MEDIA = {".jpg", ".jpeg", ".png", ".heic", ".avif", ".webp", ".jxl", ".mov", ".mp4"}
# exiftool's tags per field, in the priority the catalog documents (-n: numbers, not prose)
EXIFTOOL_TAGS: dict[str, tuple[str, ...]] = {
    "date": (
        "ExifIFD:DateTimeOriginal",
        "ExifIFD:CreateDate",
        "QuickTime:CreateDate",
        "Keys:CreationDate",
        "QuickTime:CreationDate",
        "XMP-exif:DateTimeOriginal",
        "XMP-xmp:CreateDate",
        "XMP-photoshop:DateCreated",
        "IPTC:DateCreated",
        "XMP-exif:GPSDateTime",
        "GPS:GPSDateStamp",
    ),
    "gps": ("Composite:GPSLatitude", "XMP-exif:GPSLatitude"),
    "description": ("IFD0:ImageDescription", "XMP-dc:Description", "IPTC:Caption-Abstract"),
    "rating": ("XMP-xmp:Rating", "IFD0:Rating"),
    "keywords": ("XMP-dc:Subject", "IPTC:Keywords", "XMP-lr:HierarchicalSubject"),
}
EXIV2_KEYS: dict[str, tuple[str, ...]] = {
    "date": (
        "Exif.Photo.DateTimeOriginal",
        "Exif.Photo.DateTimeDigitized",
        "Xmp.exif.DateTimeOriginal",
        "Xmp.xmp.CreateDate",
        "Xmp.photoshop.DateCreated",
        "Iptc.Application2.DateCreated",
        "Xmp.exif.GPSTimeStamp",
        "Exif.GPSInfo.GPSDateStamp",
    ),
    "gps": ("Exif.GPSInfo.GPSLatitude", "Xmp.exif.GPSLatitude"),
    "description": (
        "Exif.Image.ImageDescription",
        "Xmp.dc.description",
        "Iptc.Application2.Caption",
    ),
    "rating": ("Xmp.xmp.Rating", "Exif.Image.Rating"),
    "keywords": ("Xmp.dc.subject", "Iptc.Application2.Keywords", "Xmp.lr.hierarchicalSubject"),
}
BOILERPLATE = {"sony dsc", "olympus digital camera", "digital camera", ""}


# -- the files ---------------------------------------------------------------------------------


def _segments(jpeg: bytes) -> tuple[list[bytes], bytes]:
    """(APPn segments, the rest from the first non-APP marker) of a JPEG."""
    apps, index = [], 2
    while index + 4 <= len(jpeg) and jpeg[index] == 0xFF and 0xE0 <= jpeg[index + 1] <= 0xEF:
        length = int.from_bytes(jpeg[index + 2 : index + 4], "big")
        apps.append(jpeg[index : index + 2 + length])
        index += 2 + length
    return apps, jpeg[index:]


def _donors() -> list[bytes]:
    """The APP segments of every corpus JPEG that carries EXIF, XMP or IPTC."""
    donors = []
    for path in sorted(CORPUS.rglob("*.jp*g")):
        apps, _ = _segments(path.read_bytes())
        useful = [s for s in apps if s[1] in (0xE1, 0xED)]
        if useful and len(b"".join(useful)) > 2000:
            donors.append(b"".join(apps))
    return donors


def build_jpegs(folder: Path, count: int) -> list[Path]:
    """`count` real-size JPEGs: corpus pixels with the metadata segments of corpus photos."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels = [_segments((CORPUS / name).read_bytes())[1] for name in PIXEL_SOURCES]
    donors = _donors()
    paths = []
    for index in range(count):
        comment = f"copy {index}".encode()
        com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        data = b"\xff\xd8" + donors[index % len(donors)] + com + pixels[index % len(pixels)]
        path = folder / f"DSC_{index:05}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths


def build_extras(folder: Path) -> list[Path]:
    """Files with the tags the corpus lacks, written by exiftool (an independent writer)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = CORPUS / "immich-test-assets/albums/nature/notocactus_minimus.jpg"
    bare = folder / "bare.jpg"
    subprocess.run(["exiftool", "-q", "-all=", "-o", str(bare), str(source)], check=True)
    writes = {
        "xmp_gps_time.jpg": ["-XMP-exif:GPSDateTime=2023:03:10 14:05:00Z",
                             "-XMP-exif:GPSLatitude=38.7110", "-XMP-exif:GPSLongitude=-9.1366",
                             "-XMP-exif:GPSLatitudeRef=N", "-XMP-exif:GPSLongitudeRef=W"],
        "iptc_offset.jpg": ["-IPTC:DateCreated=2023:04:02", "-IPTC:TimeCreated=18:30:00+02:00",
                            "-IPTC:Caption-Abstract=Spree at dusk", "-IPTC:Keywords=river",
                            "-IPTC:Keywords=Berlin"],
        "xmp_caption.jpg": ["-XMP-dc:Description=Tram in Alfama", "-XMP-xmp:Rating=4",
                            "-XMP-dc:Subject=tram", "-XMP-lr:HierarchicalSubject=Places|Lisbon",
                            "-XMP-xmp:CreateDate=2023:03:11 09:15:00+00:00"],
        "sony_boilerplate.jpg": ["-IFD0:ImageDescription=SONY DSC",
                                 "-ExifIFD:DateTimeOriginal=2023:05:01 10:00:00"],
    }  # fmt: skip
    paths = []
    for name, tags in writes.items():
        target = folder / name
        subprocess.run(["exiftool", "-q", *tags, "-o", str(target), str(bare)], check=True)
        paths.append(target)
    bare.unlink()
    video = folder / "clip.mov"
    _write_mov(video)
    paths.append(video)
    return paths


def _write_mov(path: Path) -> None:
    import av
    import numpy as np

    options = {"movflags": "use_metadata_tags"}  # write the Keys atom, as iPhones do
    with av.open(str(path), "w", format="mov", options=options) as container:
        container.metadata["com.apple.quicktime.creationdate"] = "2023-03-12T16:20:00+0000"
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


# -- the readers: each returns the fields it found ----------------------------------------------


def _ours(path: Path) -> dict[str, Any]:
    from media_pipeline.metadata.extract import extract_metadata

    data = path.read_bytes() if path.suffix.lower() not in (".mov", ".mp4") else None
    found = extract_metadata(str(path), data=data, mtime=None)
    date = found.taken_at if found.taken_at_source not in (None, "file:mtime", "filename") else None
    return {
        "date": date,
        "gps": found.latitude,
        "description": getattr(found, "description", None),
        "rating": getattr(found, "rating", None),
        "keywords": getattr(found, "keywords", None) or None,
    }


def _exiv2(path: Path) -> dict[str, Any]:
    import exiv2

    image = exiv2.ImageFactory.open(path.read_bytes())
    image.readMetadata()
    stores = {"Exif": image.exifData(), "Xmp": image.xmpData(), "Iptc": image.iptcData()}
    keys = {"Exif": exiv2.ExifKey, "Xmp": exiv2.XmpKey, "Iptc": exiv2.IptcKey}
    result: dict[str, Any] = {}
    for name, tags in EXIV2_KEYS.items():
        value = None
        for tag in tags:
            family = tag.split(".", 1)[0]
            store = stores[family]
            found = store.findKey(keys[family](tag))
            if found != store.end():
                value = found.toString()
                if name == "description":
                    value = value.removeprefix('lang="x-default" ')
                    if value.strip().lower() in BOILERPLATE:
                        value = None
                        continue
                break
        result[name] = value
    return result


def _pyexiv2(path: Path) -> dict[str, Any]:
    import pyexiv2

    with pyexiv2.ImageData(path.read_bytes()) as image:
        tags = {**image.read_exif(), **image.read_xmp(), **image.read_iptc()}
    result: dict[str, Any] = {}
    for name, keys in EXIV2_KEYS.items():
        value = None
        for key in keys:
            value = tags.get(key)
            if isinstance(value, dict):
                value = next(iter(value.values()), None)
            if name == "description" and str(value or "").strip().lower() in BOILERPLATE:
                value = None
            if value not in (None, "", []):
                break
        result[name] = value
    return result


def _exiftool_fields(record: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, tags in EXIFTOOL_TAGS.items():
        value = None
        for tag in tags:
            value = record.get(tag)
            if name == "description" and str(value or "").strip().lower() in BOILERPLATE:
                value = None
            if name == "date" and str(value).startswith("0000"):
                value = None  # QuickTime's "no date"
            if value not in (None, "", []):
                break
        result[name] = value
    return result


def exiftool_batch(paths: list[Path]) -> list[dict[str, Any]]:
    """`exiftool -json -n` on every file in one process (how the peers run it in batch)."""
    listing = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)  # noqa: SIM115
    listing.write("\n".join(str(p) for p in paths))
    listing.close()
    done = subprocess.run(
        ["exiftool", "-json", "-n", "-G1", "-q", "-@", listing.name],
        capture_output=True,
        text=True,
        check=False,
    )
    Path(listing.name).unlink()
    return json.loads(done.stdout)


READERS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "ours": _ours,
    "python-exiv2": _exiv2,
    "pyexiv2": _pyexiv2,
}


def _present(value: Any) -> bool:
    return value not in (None, "", [], ())


def coverage(paths: list[Path]) -> dict[str, dict[str, int]]:
    """Per reader and field: files where the reader found a value."""
    table = {name: dict.fromkeys(FIELDS, 0) for name in [*READERS, "exiftool"]}
    for record in exiftool_batch(paths):
        for field, value in _exiftool_fields(record).items():
            table["exiftool"][field] += _present(value)
    for name, reader in READERS.items():
        for path in paths:
            try:
                found = reader(path)
            except Exception:  # a reader that cannot open the format finds nothing in it
                continue
            for field in FIELDS:
                table[name][field] += _present(found.get(field))
    return table


def _timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def speeds(paths: list[Path], repeat: int) -> dict[str, float]:
    """files/s per reader, one process, medians of `repeat` interleaved rounds."""
    runs: dict[str, list[float]] = {name: [] for name in [*READERS, "exiftool batch"]}
    for reader in READERS.values():
        reader(paths[0])  # imports and one-time set-up are not the per-file cost
    for _ in range(repeat):
        for name, reader in READERS.items():
            runs[name].append(_timed(lambda reader=reader: [reader(p) for p in paths]))
        runs["exiftool batch"].append(_timed(lambda: exiftool_batch(paths)))
    return {name: len(paths) / statistics.median(times) for name, times in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="real-size JPEGs to time")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("exiftool") is None:
        raise SystemExit("exiftool is needed: apt-get install libimage-exiftool-perl")
    import exiv2
    import pyexiv2

    exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)
    pyexiv2.set_log_level(4)  # its warnings are exceptions otherwise
    with tempfile.TemporaryDirectory() as tmp:
        corpus = [p for p in sorted(CORPUS.rglob("*")) if p.suffix.lower() in MEDIA]
        corpus += build_extras(Path(tmp) / "extras")
        table = coverage(corpus)
        print(f"coverage: files where each reader found the field ({len(corpus)} files)")
        print(f"| reader | {' | '.join(FIELDS)} |")
        print(f"| --- |{' --- |' * len(FIELDS)}")
        for name, row in table.items():
            print(f"| {name} | {' | '.join(str(row[f]) for f in FIELDS)} |")
        jpegs = build_jpegs(Path(tmp) / "jpegs", args.count)
        megabytes = sum(p.stat().st_size for p in jpegs) / 1e6
        rates = speeds(jpegs, args.repeat)
        print(f"\nfiles/s on {len(jpegs)} real-size JPEGs ({megabytes:.0f} MB, warm page cache)")
        reference = rates["exiftool batch"]
        for name, rate in rates.items():
            print(f"| {name} | {rate:,.0f} files/s | {rate / reference:.1f}× exiftool batch |")


if __name__ == "__main__":
    main()
