"""The new metadata fields through the real interface: `run`, then `info`, `albums`, `search`."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from media_pipeline_tests.cli_runner import MediaPipeline
from media_pipeline_tests.images import make_jpeg
from media_pipeline_tests.metadata.samples import (
    ASSETS,
    apple_maker_note,
    iptc_segment,
    make_exif,
    with_segment,
    write_image,
    write_mov,
    xmp_packet,
)

SELECT = "media_catalog,thumbnails,auto_albums,auto_album_titles"


def _library(root: Path) -> None:
    root.mkdir()
    for name in ("albums/nature/prairie_falcon.jpg", "albums/nature/el_torcal_rocks.jpg"):
        shutil.copy(ASSETS / name, root / Path(name).name)
    # Only a geotagger's XMP GPS time and position (Lisbon Baixa): no EXIF date at all.
    gps = {"exif:GPSTimeStamp": "2023-03-10T14:05:00Z"}
    gps |= {"exif:GPSLatitude": "38,42.66N", "exif:GPSLongitude": "9,8.196W"}
    write_image(root / "geotagged.jpg", xmp=xmp_packet(**gps))
    iptc = [(120, b"Dom at dusk"), (25, b"river"), (25, "Köln".encode()), (55, b"20230402")]
    with_segment(write_image(root / "iptc.jpg"), iptc_segment([*iptc, (60, b"183000+0200")]))
    captioned = (
        "<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>Tram 28 in Alfama</rdf:li>"
        "</rdf:Alt></dc:description><dc:subject><rdf:Bag><rdf:li>tram</rdf:li>"
        "<rdf:li>Lisbon</rdf:li></rdf:Bag></dc:subject><lr:hierarchicalSubject><rdf:Bag>"
        "<rdf:li>Places|Portugal|Lisbon</rdf:li></rdf:Bag></lr:hierarchicalSubject>"
    )
    write_image(root / "captioned.jpg", xmp=xmp_packet(captioned, **{"xmp:Rating": "4"}))
    write_image(root / "absurd.jpg", xmp=xmp_packet(**{"xmp:Rating": "9"}))
    write_image(root / "malformed.jpg", xmp=b"<x:xmpmeta><rdf:RDF><rdf:Description dc:descr")
    # A Live Photo paired by content identifier (different names), one paired by name.
    day = "2023:06:03 10:0{}:00"
    live = {0x927C: apple_maker_note("LIVE-42")}
    write_image(root / "IMG_0001.jpg", exif=make_exif(exif={0x9003: day.format(0), **live}))
    write_mov(root / "clip_0001.mov", {"com.apple.quicktime.content.identifier": "LIVE-42"})
    write_image(root / "IMG_0002.jpg", exif=make_exif(exif={0x9003: day.format(1)}))
    write_mov(root / "IMG_0002.mov", {"com.apple.quicktime.creationdate": "2023-06-03T10:01:00"})
    make_jpeg(root / "IMG_0003.jpg", taken=datetime(2023, 6, 3, 10, 2), color=(9, 9, 9))
    # A video whose only date is Apple's creationdate, with its offset.
    write_mov(
        root / "trip.mov", {"com.apple.quicktime.creationdate": "2023-03-12T16:20:00+0100"}, 40
    )
    # Three copies of one dated photo (noon on a Sunday): not an event, not a lunch.
    sunday = make_jpeg(root / "sunday-a.jpg", taken=datetime(2012, 8, 5, 12, 0), color=(1, 2, 3))
    for copy in ("sunday-b.jpg", "sunday-c.jpg"):
        shutil.copy(sunday, root / copy)
    # A real Samsung motion photo, and a Google one whose video offset points past the end.
    shutil.copy(ASSETS / "formats/motionphoto/samsung-one-ui-6.heic", root / "motion.heic")
    google = {"GCamera:MicroVideo": "1", "GCamera:MicroVideoOffset": "999999999"}
    packet = xmp_packet(**google).replace(
        b"<rdf:Description ",
        b'<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" ',
    )
    write_image(root / "MVIMG_bad.jpg", xmp=packet, exif=make_exif(exif={0x9003: day.format(5)}))
    # Files with no date of their own: only their mtime.
    for index in range(4):
        make_jpeg(root / f"copied-{index}.jpg", color=(index * 40, 10, 10))


def test_fields_in_info_albums_and_search(mp: MediaPipeline, instance, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    _library(root)
    mp("library", "add", "photos", str(root))
    mp("run", "--select", SELECT)

    def info(name: str) -> dict:
        return mp.json("info", str(root / name))

    falcon = info("prairie_falcon.jpg")
    assert falcon["description"].startswith("Adult female prairie falcon")
    assert falcon["rating"] == 0 and "raptors" in falcon["keywords"]
    torcal = info("el_torcal_rocks.jpg")
    assert torcal["description"] is None  # "SONY DSC" is the camera, not a caption
    assert torcal["state"] is None and torcal["live_video"] is None

    geotagged = info("geotagged.jpg")
    assert geotagged["taken_at_source"] == "xmp:GPSDateTime"
    assert geotagged["taken_at_utc"] == "2023-03-10T14:05:00Z"
    assert geotagged["time_zone"] == "Europe/Lisbon"
    assert (geotagged["city"], geotagged["state"], geotagged["country"]) == (
        "Lisbon",
        "Lisbon",
        "Portugal",
    )

    iptc = info("iptc.jpg")
    assert iptc["taken_at_source"] == "iptc:DateCreated"
    assert (iptc["taken_at"], iptc["taken_at_utc"]) == (
        "2023-04-02T18:30:00",
        "2023-04-02T16:30:00Z",
    )
    assert iptc["description"] == "Dom at dusk" and iptc["keywords"] == ["river", "Köln"]

    captioned = info("captioned.jpg")
    assert captioned["description"] == "Tram 28 in Alfama" and captioned["rating"] == 4
    assert captioned["keywords"] == ["tram", "Lisbon", "Places", "Portugal"]
    for bad in ("absurd.jpg", "malformed.jpg"):  # catalogued, the field left empty
        record = info(bad)
        assert (record["status"], record["rating"], record["description"]) == (
            "present",
            None,
            None,
        )

    trip = info("trip.mov")
    assert trip["taken_at_source"] == "video:creation_time"
    assert (trip["taken_at"], trip["taken_at_utc"]) == (
        "2023-03-12T16:20:00",
        "2023-03-12T15:20:00Z",
    )
    assert trip["live_video"] is None

    motion = Path(info("motion.heic")["live_video"])
    assert motion.is_relative_to(tmp_path / "home" / "motion")
    assert motion.stat().st_size == 3_226_469 and motion.read_bytes()[4:8] == b"ftyp"
    bad_motion = info("MVIMG_bad.jpg")
    assert bad_motion["status"] == "present" and bad_motion["live_video"] is None

    assert info("IMG_0001.jpg")["live_video"] == str(root / "clip_0001.mov")
    # the pair is one item: the still gets a preview, its video none of its own
    assert info("IMG_0001.jpg")["preview_path"] and info("clip_0001.mov")["preview_path"] is None
    assert info("trip.mov")["preview_path"]
    assert info("IMG_0002.jpg")["live_video"] == str(root / "IMG_0002.mov")

    albums = mp.json("albums")
    dated = [album for album in albums if not album["undated"]]
    assert [sorted(album["files"]) for album in dated] == [
        # the Live Photo videos are not items of their own
        [
            str(root / name)
            for name in ("IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg", "MVIMG_bad.jpg")
        ]
    ]
    [undated] = [album for album in albums if album["undated"]]
    no_date = ["absurd.jpg", "captioned.jpg", *(f"copied-{n}.jpg" for n in range(4))]
    assert (undated["title"], undated["count"]) == ("Undated", 7)
    assert undated["files"] == [str(root / name) for name in [*no_date, "malformed.jpg"]]
    assert mp.json("info", str(root / "copied-0.jpg"))["albums"] == []

    hits = mp.json("search", "köln")
    assert hits == [{"path": str(root / "iptc.jpg"), "score": 1.0, "matched": "caption"}]
    assert {hit["path"] for hit in mp.json("search", "ALFAMA")} == {str(root / "captioned.jpg")}
