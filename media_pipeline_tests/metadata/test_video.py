from __future__ import annotations

from datetime import datetime, timedelta

import av
import numpy as np
import pytest

from media_pipeline.metadata.capture_time import TimeCandidate
from media_pipeline.metadata.errors import MediaError
from media_pipeline.metadata.video import (
    ImageContent,
    creation_candidate,
    orientation_for_rotation,
    parse_iso6709,
    read_video,
)
from media_pipeline_tests.metadata.samples import write_video


@pytest.mark.parametrize(
    ("degrees", "orientation"),
    [(0, 1), (-90, 6), (270, 6), (180, 3), (-180, 3), (90, 8), (-270, 8), (-89.9, 6), (None, None)],
)
def test_orientation_for_rotation(degrees, orientation) -> None:
    assert orientation_for_rotation(degrees) == orientation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+37.7749-122.4194+010.000/", (37.7749, -122.4194)),
        ("+37.7749-122.4194/", (37.7749, -122.4194)),
        ("-33.8568+151.2153/", (-33.8568, 151.2153)),
        ("+4012.34-07530.12/", (40.205667, -75.502)),  # degrees and minutes
        ("+401230-0753012/", (40.208333, -75.503333)),  # degrees, minutes, seconds
        ("+00.0000+000.0000/", None),
        ("+95.0000+010.0000/", None),
        ("somewhere", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_iso6709(value, expected) -> None:
    assert parse_iso6709(value) == expected


UTC_TIME = "2023-01-02T15:30:45.000000Z"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"creation_time": UTC_TIME}, TimeCandidate(
            "video:creation_time", instant=datetime(2023, 1, 2, 15, 30, 45))),
        (
            {
                "creation_time": UTC_TIME,
                "com.apple.quicktime.creationdate": "2023-01-02T16:30:45+0100",
            },
            TimeCandidate(
                "video:creation_time",
                offset=timedelta(hours=1),
                instant=datetime(2023, 1, 2, 15, 30, 45),
            ),
        ),
        (
            {"com.apple.quicktime.creationdate": "2023-01-02T16:30:45+0100"},
            TimeCandidate(
                "video:creation_time",
                offset=timedelta(hours=1),
                instant=datetime(2023, 1, 2, 15, 30, 45),
            ),
        ),
        (
            {"com.apple.quicktime.creationdate": "2023-01-02T16:30:45"},
            TimeCandidate("video:creation_time", wall=datetime(2023, 1, 2, 16, 30, 45)),
        ),
        ({"creation_time": "1970-01-01T00:00:00.000000Z"}, None),
        ({"creation_time": "1904-01-01T00:00:00.000000Z"}, None),
        ({"creation_time": "garbage"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_creation_candidate(tags, expected) -> None:
    assert creation_candidate(tags) == expected


@pytest.mark.parametrize(
    ("rotation", "orientation"), [(None, 1), (0, 1), (-90, 6), (180, 3), (90, 8)]
)
def test_rotation_from_the_display_matrix(tmp_path, rotation, orientation) -> None:
    path = write_video(tmp_path / "clip.mp4", rotation=rotation)
    info = read_video(str(path), ext=".mp4", verify=True)
    assert info.orientation == orientation
    assert (info.width, info.height) == (64, 48)  # stored size, before rotation


def test_mp4_and_quicktime(tmp_path) -> None:
    tags = {"creation_time": UTC_TIME, "location": "+37.7749-122.4194+010.000/"}
    mp4 = read_video(
        str(write_video(tmp_path / "a.mp4", metadata=tags, frames=25, rate=10)),
        ext=".mp4",
        verify=True,
    )
    assert mp4.mime == "video/mp4"
    assert mp4.duration == pytest.approx(2.5, abs=0.01)
    assert (mp4.latitude, mp4.longitude) == (37.7749, -122.4194)
    assert mp4.creation == TimeCandidate(
        "video:creation_time", instant=datetime(2023, 1, 2, 15, 30, 45)
    )
    assert mp4.extension_mismatch is None
    mov = read_video(str(write_video(tmp_path / "a.mov", codec="h264")), ext=".mov", verify=True)
    assert mov.mime == "video/quicktime"
    assert mov.creation is None


def test_container_of_another_family_is_a_mismatch(tmp_path) -> None:
    path = write_video(tmp_path / "a.mkv")
    renamed = path.rename(tmp_path / "a.mp4")
    info = read_video(str(renamed), ext=".mp4", verify=True)
    assert info.mime == "video/x-matroska"
    assert info.extension_mismatch == "content is Matroska/WebM but the extension is .mp4"


def test_audio_only_is_not_a_video(tmp_path) -> None:
    path = tmp_path / "voice.mp4"
    container = av.open(str(path), "w")
    stream = container.add_stream("aac", rate=8000)
    frame = av.AudioFrame.from_ndarray(
        np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
    )
    frame.sample_rate = 8000
    for packet in [*stream.encode(frame), *stream.encode()]:
        container.mux(packet)
    container.close()
    with pytest.raises(MediaError, match="no video stream"):
        read_video(str(path), ext=".mp4", verify=True)


def test_image_content_is_handed_back(assets) -> None:
    with pytest.raises(ImageContent):
        read_video(str(assets / "formats/jpg/el_torcal_rocks.jpg"), ext=".mp4", verify=True)
    with pytest.raises(ImageContent):
        read_video(str(assets / "formats/heic/IMG_2682.heic"), ext=".mov", verify=True)


@pytest.mark.parametrize(
    "content", [b"hello world\n" * 100, bytes(range(256)) * 20, b"\x00\x00\x00\x18ftypisom"]
)
def test_garbage(tmp_path, content) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(MediaError):
        read_video(str(path), ext=".mp4", verify=True)


def test_truncated(tmp_path) -> None:
    data = write_video(tmp_path / "a.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"truncated or corrupt|not a readable video"):
        read_video(str(cut), ext=".mp4", verify=True)


def test_missing_file_is_an_os_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        read_video(str(tmp_path / "gone.mp4"), ext=".mp4", verify=True)


def test_undecodable_data_fails_only_when_verifying(tmp_path) -> None:
    data = write_video(tmp_path / "a.mp4", faststart=True).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.index(b"mdat") + 8])  # index intact, no frame data
    with pytest.raises(MediaError, match=r"^video is corrupt"):
        read_video(str(cut), ext=".mp4", verify=True)
    info = read_video(str(cut), ext=".mp4", verify=False)
    assert (info.duration, info.orientation) == (1.0, None)
