from __future__ import annotations

import av
import pytest

from media_pipeline.metadata.errors import MediaError, is_io_error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FileNotFoundError(2, "No such file or directory"), True),
        (PermissionError(13, "Permission denied"), True),
        (OSError(5, "Input/output error"), True),
        (OSError("image file is truncated"), False),  # Pillow's decoder complaint
        (OSError(-1094995529, "Invalid data"), False),
        (av.error.InvalidDataError(-1094995529, "Invalid data found"), False),
        (ValueError("bad"), False),
        (MediaError("bad"), False),
    ],
)
def test_is_io_error(error, expected) -> None:
    assert is_io_error(error) is expected
