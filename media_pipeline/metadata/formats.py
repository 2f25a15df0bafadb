"""Which files are media, of which kind, and which decoders read them.

Classification is by extension only (it runs for every file of a library walk, so it
must not open files); the readers then check the content and report a mismatch.
"""

from __future__ import annotations

import threading

from PIL import Image

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".mpo",
        ".png", ".apng", ".gif", ".webp", ".bmp", ".tif", ".tiff",
        ".heic", ".heif", ".hif", ".avif", ".jxl",
    }
)  # fmt: skip

RAW_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".3fr", ".arw", ".cap", ".cr2", ".cr3", ".crw", ".dcr", ".dng", ".erf", ".fff",
        ".iiq", ".k25", ".kdc", ".mef", ".mos", ".mrw", ".nef", ".nrw", ".orf", ".ori",
        ".pef", ".raf", ".raw", ".rw2", ".rwl", ".sr2", ".srf", ".srw", ".x3f",
    }
)  # fmt: skip

VIDEO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2", ".avi", ".mkv", ".webm",
        ".mts", ".m2ts", ".mpg", ".mpeg", ".wmv", ".flv", ".ogv",
    }
)  # fmt: skip

SIDECAR_EXTENSIONS: frozenset[str] = frozenset({".xmp"})

# Image-like files a photo library may hold that we do not decode: the user should see
# them listed as unsupported rather than silently ignored. (Pillow reads some of them,
# e.g. PSD and ICO, but layered documents and icons are not photos to catalogue.)
UNSUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".psd", ".psb", ".xcf", ".kra", ".ora", ".svg", ".svgz", ".eps", ".ai",
        ".ico", ".icns", ".exr", ".hdr", ".jp2", ".j2k", ".jpf", ".jpx", ".jxr",
        ".wdp", ".hdp", ".bpg", ".tga", ".dds", ".pcx",
    }
)  # fmt: skip

EXTENSION_MIME: dict[str, str] = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg",
    ".jfif": "image/jpeg", ".mpo": "image/jpeg", ".png": "image/png",
    ".apng": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic",
    ".heif": "image/heif", ".hif": "image/heif", ".avif": "image/avif", ".jxl": "image/jxl",
    ".3fr": "image/x-hasselblad-3fr", ".arw": "image/x-sony-arw",
    ".cap": "image/x-phaseone-cap", ".cr2": "image/x-canon-cr2", ".cr3": "image/x-canon-cr3",
    ".crw": "image/x-canon-crw", ".dcr": "image/x-kodak-dcr", ".dng": "image/x-adobe-dng",
    ".erf": "image/x-epson-erf", ".fff": "image/x-hasselblad-fff",
    ".iiq": "image/x-phaseone-iiq", ".k25": "image/x-kodak-k25", ".kdc": "image/x-kodak-kdc",
    ".mef": "image/x-mamiya-mef", ".mos": "image/x-leaf-mos", ".mrw": "image/x-minolta-mrw",
    ".nef": "image/x-nikon-nef", ".nrw": "image/x-nikon-nrw", ".orf": "image/x-olympus-orf",
    ".ori": "image/x-olympus-orf", ".pef": "image/x-pentax-pef", ".raf": "image/x-fuji-raf",
    ".raw": "image/x-panasonic-raw", ".rw2": "image/x-panasonic-rw2",
    ".rwl": "image/x-leica-rwl", ".sr2": "image/x-sony-sr2", ".srf": "image/x-sony-srf",
    ".srw": "image/x-samsung-srw", ".x3f": "image/x-sigma-x3f",
    ".mp4": "video/mp4", ".m4v": "video/x-m4v", ".mov": "video/quicktime",
    ".qt": "video/quicktime", ".3gp": "video/3gpp", ".3g2": "video/3gpp2",
    ".avi": "video/x-msvideo", ".mkv": "video/x-matroska", ".webm": "video/webm",
    ".mts": "video/mp2t", ".m2ts": "video/mp2t", ".mpg": "video/mpeg", ".mpeg": "video/mpeg",
    ".wmv": "video/x-ms-wmv", ".flv": "video/x-flv", ".ogv": "video/ogg",
}  # fmt: skip

# Pillow formats we catalogue, in the order they are tried on unknown content. Other
# Pillow plugins are never consulted, so odd content cannot reach exotic parsers.
# AVIF comes before HEIF: both accept the generic "mif1" brand, and each rejects the
# other's codec cleanly at open.
PIL_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "AVIF", "HEIF", "JXL", "GIF", "TIFF", "BMP")

PIL_FORMAT_MIME: dict[str, str] = {
    "JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
    "AVIF": "image/avif", "HEIF": "image/heif", "JXL": "image/jxl", "GIF": "image/gif",
    "TIFF": "image/tiff", "BMP": "image/bmp",
}  # fmt: skip

# Names for messages ("content is PNG but the extension is .jpg").
PIL_FORMAT_NAMES: dict[str, str] = {"MPO": "JPEG", "WEBP": "WebP", "JXL": "JPEG XL"}

# Pillow formats whose content fits each image extension (anything else is a mismatch).
_EXPECTED_PIL_FORMATS: dict[str, frozenset[str]] = {
    **dict.fromkeys((".jpg", ".jpeg", ".jpe", ".jfif", ".mpo"), frozenset({"JPEG", "MPO"})),
    **dict.fromkeys((".png", ".apng"), frozenset({"PNG"})),
    ".gif": frozenset({"GIF"}),
    ".webp": frozenset({"WEBP"}),
    ".bmp": frozenset({"BMP"}),
    **dict.fromkeys((".tif", ".tiff"), frozenset({"TIFF"})),
    **dict.fromkeys((".heic", ".hif"), frozenset({"HEIF"})),
    ".heif": frozenset({"HEIF", "AVIF"}),  # the generic container name
    ".avif": frozenset({"AVIF"}),
    ".jxl": frozenset({"JXL"}),
}

# Extension -> kind; where sets overlap, the first kind listed wins (written last).
_KINDS: dict[str, str] = {
    ext: kind
    for kind, extensions in reversed(
        (
            ("image", IMAGE_EXTENSIONS),
            ("raw", RAW_EXTENSIONS),
            ("video", VIDEO_EXTENSIONS),
            ("sidecar", SIDECAR_EXTENSIONS),
            ("unsupported", UNSUPPORTED_EXTENSIONS),
        )
    )
    for ext in extensions
}

# ISO-BMFF major brands of still images (HEIF family, AVIF, Canon CR3): any other
# "ftyp" file is taken for a video when sniffing content.
STILL_BRANDS = frozenset(
    {
        b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
        b"mif1", b"msf1", b"mif2", b"avif", b"avis", b"avio", b"crx ", b"jxl ",
    }
)  # fmt: skip


def extension(path: str) -> str:
    """The lower-cased extension with its dot ("" when there is none), as ``os.path.splitext``
    reads it (a name's leading dots start no extension), without its cost: a scan of 100,000
    files classifies each one."""
    name = path.rpartition("/")[2].lstrip(".")
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def classify(path: str) -> str | None:
    """What a file is, by extension (case-insensitive).

    "image", "raw", "video", "sidecar" (.xmp), "unsupported" (image-like formats we
    cannot read, so the user sees them listed), or None for files that are not media
    at all (.txt, .json, .DS_Store, ...) and are ignored. macOS AppleDouble companions
    ("._IMG_1.jpg") carry a media extension but are resource forks, so they are None too.
    """
    if path.rpartition("/")[2].startswith("._"):
        return None
    return _KINDS.get(extension(path))


def expected_pil_formats(ext: str) -> frozenset[str]:
    """Pillow formats that match an image extension; empty for non-image extensions."""
    return _EXPECTED_PIL_FORMATS.get(ext, frozenset())


def format_name(pil_format: str) -> str:
    """A human name for a Pillow format, for messages."""
    return PIL_FORMAT_NAMES.get(pil_format, pil_format)


def looks_like_video(head: bytes) -> bool:
    """Whether the first bytes of a file are a video container (ISO-BMFF/QuickTime with a
    non-image brand, AVI, Matroska/WebM, MPEG-PS, MPEG-TS, FLV, ASF).

    Used only to rescue a video saved under an image extension.
    """
    if head[4:8] == b"ftyp":
        return head[8:12] not in STILL_BRANDS
    return (
        head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip")
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head[:4] == b"\x1a\x45\xdf\xa3"
        or head[:4] == b"\x00\x00\x01\xba"
        or head[:3] == b"FLV"
        or head[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
        or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47)
    )


_registered = False
_register_lock = threading.Lock()


def register_plugins() -> None:
    """Make Pillow read HEIC/HEIF (pillow-heif) and JPEG XL (pillow-jxl); idempotent.

    AVIF needs nothing: Pillow reads it natively (its wheels bundle libavif), while
    pillow-heif 1.x registers HEIF only and its libheif has no AV1 decoder.
    Registration is the only global change this package makes to Pillow: the pixel
    limit is checked per call, and ``Image.MAX_IMAGE_PIXELS`` and
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` are left alone.
    """
    global _registered
    if _registered:
        return
    with _register_lock:
        if _registered:
            return
        import pillow_heif
        import pillow_jxl  # noqa: F401  (importing registers the JXL plugin)

        Image.init()
        pillow_heif.register_heif_opener()
        _registered = True
