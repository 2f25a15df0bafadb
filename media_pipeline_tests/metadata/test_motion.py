from __future__ import annotations

from pathlib import Path

from defusedxml import ElementTree

from media_pipeline.metadata.motion import motion_video
from media_pipeline_tests.metadata.samples import ASSETS, write_image, write_mov, xmp_packet

GCAMERA = 'xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '


def _google_xmp(**properties: str) -> object:
    packet = xmp_packet(**properties).replace(
        b"<rdf:Description ", f"<rdf:Description {GCAMERA}".encode()
    )
    return ElementTree.fromstring(packet[packet.index(b"<x:xmpmeta") : packet.rindex(b">") + 1])


def _still_and_video(tmp_path: Path) -> tuple[bytes, bytes]:
    still = write_image(tmp_path / "still.jpg").read_bytes()
    video = write_mov(tmp_path / "clip.mov", {}).read_bytes()
    return still, video


def test_samsung_heic_carries_its_video_in_a_box() -> None:
    data = (ASSETS / "formats/motionphoto/samsung-one-ui-6.heic").read_bytes()
    offset, length = motion_video(data)
    assert length == 3_226_469 and data[offset + 4 : offset + 8] == b"ftyp"


def test_google_micro_video_counted_from_the_end(tmp_path) -> None:
    still, video = _still_and_video(tmp_path)
    root = _google_xmp(**{"GCamera:MicroVideoOffset": str(len(video))})
    assert motion_video(still + video, root) == (len(still), len(video))


def test_samsung_jpeg_marker(tmp_path) -> None:
    still, video = _still_and_video(tmp_path)
    trailer = b"SEFH" + bytes(8) + b"SEFT"
    data = still + b"MotionPhoto_Data" + video + trailer
    assert motion_video(data) == (len(still) + 16, len(video))
    assert motion_video(still + b"MotionPhoto_Data" + video) is None  # no Samsung trailer


def test_an_offset_past_the_end_or_into_the_image_is_no_video(tmp_path) -> None:
    still, video = _still_and_video(tmp_path)
    for offset in (10**9, len(video) + 7, 0):
        root = _google_xmp(**{"GCamera:MicroVideoOffset": str(offset)})
        assert motion_video(still + video, root) is None
    assert motion_video(still) is None
