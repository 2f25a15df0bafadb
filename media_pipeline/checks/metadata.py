"""Which metadata a derivative file carries: previews and thumbnails must carry none (no GPS,
no camera serials leave the library through a shared thumbnail). Pure: Pillow only."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825


def embedded_metadata(path: Path) -> list[str]:
    """The kinds of metadata in an image file: "exif", "gps", "xmp", "iptc"; [] when clean.
    An ICC colour profile is not metadata about the photo and is allowed."""
    with Image.open(path) as image:
        found = []
        exif = image.getexif()
        if len(exif):
            found.append("exif")
        if exif.get_ifd(GPS_IFD) or GPS_IFD in exif:
            found.append("gps")
        if image.info.get("xmp") or any(
            isinstance(value, bytes) and b"ns.adobe.com/xap" in value
            for value in image.info.values()
        ):
            found.append("xmp")
        if "photoshop" in image.info or any(
            marker == "APP13" for marker, _ in getattr(image, "applist", [])
        ):
            found.append("iptc")
        return found
