"""The public entry point: one media file in, one ``MediaMetadata`` (or a ``MediaError``) out.

Pure library code (no Dagster): the scanner calls ``extract_metadata`` for every new
or changed file and stores ``as_record()``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from media_pipeline.metadata import captions
from media_pipeline.metadata.capture_time import (
    TimeCandidate,
    filename_candidate,
    mtime_candidate,
    resolve,
)
from media_pipeline.metadata.errors import MediaError, is_io_error
from media_pipeline.metadata.exif import ExifFields
from media_pipeline.metadata.formats import classify, extension, looks_like_video
from media_pipeline.metadata.image import NON_TIFF_FORMATS, UnidentifiedContent, read_image
from media_pipeline.metadata.iptc import IptcFields
from media_pipeline.metadata.motion import motion_video
from media_pipeline.metadata.places import place_for, timezone_for
from media_pipeline.metadata.raw import read_raw
from media_pipeline.metadata.regions import face_regions
from media_pipeline.metadata.video import ImageContent, read_video
from media_pipeline.metadata.xmp import XmpFields, parse_xmp, read_sidecar

__all__ = ["DEFAULT_MAX_PIXELS", "MediaError", "MediaMetadata", "extract_metadata"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 250_000_000
_SNIFF_BYTES = 512


@dataclass
class MediaMetadata:
    """Everything the catalogue records about one photo or video (datetimes are naive)."""

    kind: str  # "image" | "video" (RAW files are images)
    mime: str  # from the content when detectable
    width: int | None = None  # stored pixel size, before applying orientation
    height: int | None = None
    orientation: int | None = None  # EXIF 1..8; videos from their rotation
    taken_at: datetime | None = None  # local wall-clock time
    time_zone: str | None = None  # IANA name
    taken_at_utc: datetime | None = None
    taken_at_source: str | None = None  # see capture_time's priority chain
    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    exposure_time: str | None = None  # "1/160", "2.5"
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None  # mm
    latitude: float | None = None
    longitude: float | None = None
    city: str | None = None  # the place people name (metadata/places.py)
    state: str | None = None  # region: state, province, Land
    country: str | None = None
    duration: float | None = None  # seconds, videos
    description: str | None = None  # caption; camera boilerplate ("SONY DSC") is not one
    rating: int | None = None  # -1 (rejected) .. 5
    keywords: list[str] | None = None
    content_identifier: str | None = None  # Apple's Live Photo pairing key
    extension_mismatch: str | None = None  # "content is PNG but the extension is .jpg"
    motion_video: tuple[int, int] | None = None  # (offset, length) of an embedded video
    # named face regions from XMP: (name, (x1, y1, x2, y2) in upright pixels)
    face_regions: list[tuple[str, tuple[float, float, float, float]]] | None = None

    def as_record(self) -> dict[str, Any]:
        """Field name -> value for the catalogue row (the last three are handled apart)."""
        apart = ("extension_mismatch", "motion_video", "face_regions")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in apart}


@dataclass
class _Content:
    """What a format reader found, before dates and places are worked out."""

    kind: str
    mime: str
    width: int | None
    height: int | None
    orientation: int | None
    tags: ExifFields
    xmp: bytes | None = None
    duration: float | None = None
    creation: TimeCandidate | None = None
    extension_mismatch: str | None = None
    iptc: IptcFields = field(default_factory=IptcFields)


def _head(path: str, data: bytes | None) -> bytes:
    if data is not None:
        return data[:_SNIFF_BYTES]
    with open(path, "rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _image(
    path: str, data: bytes | None, ext: str, max_pixels: int, verify: bool, **kw: Any
) -> _Content:
    info = read_image(path, data, ext=ext, max_pixels=max_pixels, verify=verify, **kw)
    return _Content(
        "image",
        info.mime,
        info.width,
        info.height,
        info.exif.orientation,
        info.exif,
        xmp=info.xmp,
        extension_mismatch=info.extension_mismatch,
        iptc=info.iptc,
    )


def _video(path: str, data: bytes | None, ext: str, verify: bool) -> _Content:
    info = read_video(path, ext=ext, verify=verify, data=data)
    tags = ExifFields(
        make=info.make,
        model=info.model,
        latitude=info.latitude,
        longitude=info.longitude,
        content_identifier=info.content_identifier,
    )
    return _Content(
        "video",
        info.mime,
        info.width,
        info.height,
        info.orientation,
        tags,
        duration=info.duration,
        creation=info.creation,
        extension_mismatch=info.extension_mismatch,
    )


def _raw(path: str, data: bytes | None, ext: str, max_pixels: int) -> _Content:
    info = read_raw(path, data, ext=ext, max_pixels=max_pixels)
    return _Content("image", info.mime, info.width, info.height, info.orientation, info.exif)


def _read_content(
    kind: str, path: str, data: bytes | None, ext: str, max_pixels: int, verify: bool
) -> _Content:
    """Run the reader for the extension's kind, rescuing content of another kind."""
    if kind == "image":
        try:
            return _image(path, data, ext, max_pixels, verify)
        except UnidentifiedContent as error:
            if not looks_like_video(_head(path, data)):
                raise
            try:
                return _video(path, data, ext, verify)
            except MediaError:
                raise error from None
    if kind == "raw":
        try:
            return _raw(path, data, ext, max_pixels)
        except MediaError as error:
            try:
                return _image(path, data, ext, max_pixels, verify, formats=NON_TIFF_FORMATS)
            except UnidentifiedContent:
                raise error from None
    try:
        return _video(path, None, ext, verify)
    except ImageContent:
        return _image(path, data, ext, max_pixels, verify)


_Place = tuple[str | None, str | None, str | None, str | None]


def _places(latitude: float, longitude: float) -> _Place:
    """(time zone, city, state, country) at a valid position; failed lookups count as unknown."""
    try:
        zone = timezone_for(latitude, longitude)
    except Exception:
        logger.warning("time zone lookup failed at %s,%s", latitude, longitude, exc_info=True)
        zone = None
    try:
        city, state, country = place_for(latitude, longitude)
    except Exception:
        logger.warning("reverse geocoding failed at %s,%s", latitude, longitude, exc_info=True)
        city = state = country = None
    return zone, city, state, country


def _describe(
    content: _Content, path: str, mtime: float | None, sidecar: str | None, data: bytes | None
) -> MediaMetadata:
    tags = content.tags
    side = read_sidecar(sidecar)
    embedded = parse_xmp(content.xmp)
    xmps = (side, embedded)  # the sidecar wins: it is what the user edited last

    latitude, longitude = tags.latitude, tags.longitude
    if latitude is None:
        for xmp in (embedded, side):
            if xmp.latitude is not None:
                latitude, longitude = xmp.latitude, xmp.longitude
                break
    zone = city = state = country = None
    if latitude is not None and longitude is not None:
        zone, city, state, country = _places(latitude, longitude)

    def candidates() -> Iterator[TimeCandidate | None]:
        yield tags.original
        yield tags.digitized
        yield content.creation
        yield from side.dates
        yield from embedded.dates
        yield content.iptc.created
        yield tags.gps_time
        yield side.gps_time
        yield embedded.gps_time
        yield filename_candidate(path)
        yield mtime_candidate(mtime)

    taken = resolve(candidates(), zone)
    return MediaMetadata(
        kind=content.kind,
        mime=content.mime,
        width=content.width,
        height=content.height,
        orientation=content.orientation,
        taken_at=taken.taken_at,
        time_zone=taken.time_zone,
        taken_at_utc=taken.taken_at_utc,
        taken_at_source=taken.source,
        make=tags.make,
        model=tags.model,
        lens_model=tags.lens_model,
        exposure_time=tags.exposure_time,
        f_number=tags.f_number,
        iso=tags.iso,
        focal_length=tags.focal_length,
        latitude=latitude,
        longitude=longitude,
        city=city,
        state=state,
        country=country,
        duration=content.duration,
        description=captions.description(
            [*(xmp.description for xmp in xmps), content.iptc.caption, tags.description],
            tags.make,
            tags.model,
        ),
        rating=next((xmp.rating for xmp in xmps if xmp.rating is not None), tags.rating),
        keywords=captions.keywords(*(xmp.keywords for xmp in xmps), content.iptc.keywords) or None,
        content_identifier=tags.content_identifier,
        extension_mismatch=content.extension_mismatch,
        motion_video=motion_video(data, embedded.root) if _may_move(content, data) else None,
        face_regions=_named_faces(content, xmps),
    )


def _named_faces(
    content: _Content, xmps: tuple[XmpFields, ...]
) -> list[tuple[str, tuple[float, float, float, float]]] | None:
    """Face regions of the sidecar, else of the embedded packet, in upright pixels."""
    if content.kind != "image" or not content.width or not content.height:
        return None
    for xmp in xmps:
        regions = face_regions(xmp.root)
        if regions:
            return [
                (r.name, r.upright_box(content.width, content.height, content.orientation))
                for r in regions
            ]
    return None


def _may_move(content: _Content, data: bytes | None) -> bool:
    """Stills whose bytes are at hand and whose format carries motion photos."""
    return data is not None and content.mime in ("image/jpeg", "image/heic", "image/heif")


def extract_metadata(
    path: str,
    *,
    data: bytes | None = None,
    mtime: float | None = None,
    sidecar: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    verify: bool = True,
) -> MediaMetadata:
    """Describe one media file.

    ``data``: the file's bytes when the caller already read them (it is then never read
    again); ``mtime``: its modification time (epoch seconds), the last-resort capture
    time; ``sidecar``: path of its ``.xmp`` sidecar, if any; ``max_pixels``: images
    larger than this are refused before decoding; ``verify``: also check that the data
    decodes (truncated JPEG/PNG, undecodable video).

    Raises MediaError for anything that makes the file uncatalogable, with a message for
    the user. OSError from reading the file (permission denied, vanished) propagates.
    """
    kind = classify(path)
    ext = extension(path)
    if kind == "unsupported":
        raise MediaError(f"unsupported format {ext}")
    if kind == "sidecar":
        raise MediaError("an XMP sidecar, not a media file")
    if kind is None:
        raise MediaError(f"not a media file ({ext or 'no extension'})")
    size = len(data) if data is not None else os.stat(path).st_size
    if size == 0:
        raise MediaError("empty file (0 bytes)")
    try:
        content = _read_content(kind, path, data, ext, max_pixels, verify)
        return _describe(content, path, mtime, sidecar, data)
    except MediaError:
        raise
    except Exception as exc:  # a reader bug must cost one file, not the whole scan
        if is_io_error(exc):
            raise  # reading the file failed: the caller records it
        logger.warning("unexpected error describing %s", path, exc_info=True)
        raise MediaError(f"cannot read {kind} metadata: {type(exc).__name__}: {exc}") from exc
