"""Reading videos with PyAV (FFmpeg): container, size, duration, rotation, tags.

Only known video containers are accepted: FFmpeg recognises almost anything (text
files as "tty" art, images as single-frame "pipes"), so what it finds is checked
against a short list, and image content is handed back to the image reader.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import av

from media_pipeline.metadata.capture_time import (
    VIDEO_CREATION,
    TimeCandidate,
    parse_datetime,
)
from media_pipeline.metadata.errors import MediaError, content_errors, is_io_error
from media_pipeline.metadata.formats import EXTENSION_MIME
from media_pipeline.metadata.formats import STILL_BRANDS as STILL_BRAND_BYTES
from media_pipeline.metadata.places import valid_coordinates
from media_pipeline.metadata.values import text

# FFmpeg demuxer name -> (family name for messages, extensions of the family, default mime)
_FAMILIES: dict[str, tuple[str, frozenset[str], str]] = {
    "mov,mp4,m4a,3gp,3g2,mj2": (
        "MP4/QuickTime",
        frozenset({".mp4", ".m4v", ".mov", ".qt", ".3gp", ".3g2"}),
        "video/mp4",
    ),
    "matroska,webm": ("Matroska/WebM", frozenset({".mkv", ".webm"}), "video/x-matroska"),
    "avi": ("AVI", frozenset({".avi"}), "video/x-msvideo"),
    "mpegts": ("MPEG-TS", frozenset({".mts", ".m2ts"}), "video/mp2t"),
    "mpeg": ("MPEG-PS", frozenset({".mpg", ".mpeg"}), "video/mpeg"),
    "asf": ("ASF/WMV", frozenset({".wmv"}), "video/x-ms-wmv"),
    "flv": ("FLV", frozenset({".flv"}), "video/x-flv"),
    "ogg": ("Ogg", frozenset({".ogv"}), "video/ogg"),
}
# ISO-BMFF brands of still images FFmpeg's mov demuxer also opens (HEIF, AVIF), as text
STILL_BRANDS = frozenset(brand.decode().strip() for brand in STILL_BRAND_BYTES)
IMAGE_DEMUXERS = frozenset({"image2", "gif", "apng", "webp_pipe"})
_MAX_PACKETS_TO_FIRST_FRAME = 500

_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
_LOCATION_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
_ISO6709 = re.compile(r"^\s*([+-])(\d+(?:\.\d+)?)([+-])(\d+(?:\.\d+)?)")
# creation_time values muxers write when the clock was never set
_EPOCH_PLACEHOLDERS = {(1904, 1, 1), (1970, 1, 1)}


class ImageContent(MediaError):
    """The file holds an image, not a video (e.g. a JPEG named .mp4)."""


@dataclass
class VideoInfo:
    """What the video reader found in one file."""

    mime: str
    width: int | None
    height: int | None
    orientation: int | None
    duration: float | None
    creation: TimeCandidate | None
    latitude: float | None
    longitude: float | None
    make: str | None
    model: str | None
    extension_mismatch: str | None
    content_identifier: str | None = None  # Apple's, shared with a Live Photo's still


def orientation_for_rotation(degrees: float | None) -> int | None:
    """EXIF orientation for a display rotation in degrees counter-clockwise (FFmpeg's
    display-matrix angle): -90 (a phone held upright) -> 6, 180 -> 3, 90 -> 8, 0 -> 1."""
    if degrees is None:
        return None
    clockwise = round(-degrees / 90) * 90 % 360
    return {0: 1, 90: 6, 180: 3, 270: 8}[clockwise]


def _iso6709_part(sign: str, body: str, degree_digits: int) -> float:
    """One ISO 6709 coordinate: ±DD.D, ±DDMM.M or ±DDMMSS.S (DDD for longitude)."""
    whole = body.split(".", 1)[0]
    if len(whole) <= degree_digits:
        value = float(body)
    elif len(whole) == degree_digits + 2:
        value = int(whole[:degree_digits]) + float(body[degree_digits:]) / 60
    else:
        value = (
            int(whole[:degree_digits])
            + int(whole[degree_digits : degree_digits + 2]) / 60
            + float(body[degree_digits + 2 :]) / 3600
        )
    return -value if sign == "-" else value


def parse_iso6709(value: Any) -> tuple[float, float] | None:
    """(lat, lon) from an ISO 6709 string such as "+37.7749-122.4194+010.000/"."""
    value = text(value)
    match = _ISO6709.match(value) if value else None
    if not match:
        return None
    try:
        latitude = _iso6709_part(match[1], match[2], 2)
        longitude = _iso6709_part(match[3], match[4], 3)
    except ValueError:
        return None
    return valid_coordinates(latitude, longitude)


def _lookup(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = text(tags.get(key))
        if value:
            return value
    return None


def _is_placeholder(moment: datetime) -> bool:
    return (moment.year, moment.month, moment.day) in _EPOCH_PLACEHOLDERS and not (
        moment.hour or moment.minute or moment.second
    )


def creation_candidate(tags: dict[str, str]) -> TimeCandidate | None:
    """The container's creation time: ``creation_time`` (UTC) as the instant, with the
    local offset from Apple's ``com.apple.quicktime.creationdate`` when present."""
    apple = parse_datetime(tags.get("com.apple.quicktime.creationdate"))
    parsed = parse_datetime(tags.get("creation_time"))
    if parsed is not None and not _is_placeholder(parsed[0]):
        moment, offset = parsed
        instant = moment - offset if offset is not None else moment
        local_offset = apple[1] if apple is not None else None
        return TimeCandidate(VIDEO_CREATION, offset=local_offset, instant=instant)
    if apple is not None:
        wall, offset = apple
        if offset is None:
            return TimeCandidate(VIDEO_CREATION, wall=wall)
        return TimeCandidate(VIDEO_CREATION, offset=offset, instant=wall - offset)
    return None


def _mime_and_mismatch(
    container: Any, tags: dict[str, str], ext: str
) -> tuple[str, str | None] | None:
    """(mime, mismatch) for a known container family; None for anything else."""
    family = _FAMILIES.get(container.format.name)
    if family is None:
        return None
    name, extensions, default_mime = family
    brand = (tags.get("major_brand") or "").strip().lower()
    if ext in extensions:
        mime = EXTENSION_MIME[ext]
        mismatch = None
    else:
        mime = default_mime
        mismatch = f"content is {name} but the extension is {ext or '(none)'}"
    if name == "MP4/QuickTime":
        if brand == "qt":
            mime = "video/quicktime"
        elif ext not in extensions and brand.startswith("3g2"):
            mime = "video/3gpp2"
        elif ext not in extensions and brand.startswith("3gp"):
            mime = "video/3gpp"
    return mime, mismatch


def _first_frame_rotation(container: Any, stream: Any) -> float:
    """Decode the first frame: proves the stream decodes and yields the display rotation
    (FFmpeg attaches the stream's display matrix to decoded frames)."""
    for count, packet in enumerate(container.demux(stream)):
        for frame in packet.decode():
            return float(getattr(frame, "rotation", 0) or 0)
        if count >= _MAX_PACKETS_TO_FIRST_FRAME:
            break
    for frame in stream.decode(None):  # flush the decoder: short clips
        return float(getattr(frame, "rotation", 0) or 0)
    raise MediaError("video is corrupt: no decodable frame")


def open_container(source: str | BinaryIO) -> Any:
    """An open PyAV container (the caller closes it); MediaError for content FFmpeg cannot
    open, while failures to read the file (OSError with an errno) propagate."""
    try:
        return av.open(source, metadata_errors="replace")
    except Exception as exc:
        if is_io_error(exc):
            raise
        reason = getattr(exc, "strerror", None) or exc
        raise MediaError(f"not a readable video: {reason}") from exc


def read_video(path: str, *, ext: str, verify: bool, data: bytes | None = None) -> VideoInfo:
    """Describe one video; raises MediaError (ImageContent for images) on bad content.

    Opens ``path`` unless ``data`` is given (only when rescuing a misnamed image file
    whose bytes the caller already holds).
    """
    container = open_container(io.BytesIO(data) if data is not None else path)
    try:
        with content_errors(MediaError, "video is corrupt"):
            return _describe(container, ext, verify)
    finally:
        container.close()


def _describe(container: Any, ext: str, verify: bool) -> VideoInfo:
    tags = {key.lower(): value for key, value in container.metadata.items()}
    format_name = container.format.name
    brand = (tags.get("major_brand") or "").strip().lower()
    if format_name in IMAGE_DEMUXERS or format_name.endswith("_pipe") or brand in STILL_BRANDS:
        raise ImageContent(f"not a video: content is an image ({format_name})")
    described = _mime_and_mismatch(container, tags, ext)
    if described is None:
        raise MediaError(
            f"not a readable video: content is {container.format.long_name or format_name}"
        )
    mime, mismatch = described
    streams = [
        s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    if not streams:
        if container.streams.audio:
            raise MediaError("not a video: no video stream (audio only)")
        raise MediaError("video is truncated or corrupt: no video stream found")
    stream = streams[0]
    for key, value in stream.metadata.items():
        tags.setdefault(key.lower(), value)
    width = stream.codec_context.width or None
    height = stream.codec_context.height or None

    duration = None
    if container.duration and container.duration > 0:
        duration = container.duration / av.time_base
    elif stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)

    try:
        rotation: float | None = _first_frame_rotation(container, stream)
    except Exception as exc:
        if verify:
            if isinstance(exc, MediaError) or is_io_error(exc):
                raise
            raise MediaError(f"video is corrupt: {exc}") from exc
        rotation = None

    coordinates = None
    location = _lookup(tags, _LOCATION_KEYS)
    if location:
        coordinates = parse_iso6709(location)
    return VideoInfo(
        mime=mime,
        width=width,
        height=height,
        orientation=orientation_for_rotation(rotation),
        duration=round(duration, 3) if duration is not None else None,
        creation=creation_candidate(tags),
        latitude=coordinates[0] if coordinates else None,
        longitude=coordinates[1] if coordinates else None,
        make=_lookup(tags, _MAKE_KEYS),
        model=_lookup(tags, _MODEL_KEYS),
        extension_mismatch=mismatch,
        content_identifier=text(tags.get("com.apple.quicktime.content.identifier")),
    )
