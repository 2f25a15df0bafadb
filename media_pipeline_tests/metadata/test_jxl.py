from __future__ import annotations

import io

import pytest
from PIL import Image

from media_pipeline.metadata.formats import register_plugins
from media_pipeline.metadata.jxl import jxl_size, size_from_codestream
from media_pipeline_tests.metadata.samples import jxl_codestream_header


def test_corpus_sizes(assets) -> None:
    for name, size in (("8bit-sRGB.jxl", (1440, 1080)), ("16bit-HDR-P3-nclx.jxl", (5667, 3685))):
        with open(assets / "formats/jxl" / name, "rb") as handle:
            assert jxl_size(handle) == size


@pytest.mark.parametrize("size", [(1, 1), (8, 8), (7, 3), (100, 75), (513, 1000), (1000, 200)])
def test_sizes_of_encoded_images(size) -> None:
    register_plugins()
    buffer = io.BytesIO()
    Image.new("RGB", size).save(buffer, "JXL")
    assert jxl_size(buffer) == size


def test_huge_header() -> None:
    assert size_from_codestream(jxl_codestream_header(100_000, 70_000)) == (100_000, 70_000)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\x0a", b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a", b"\xff\xd8\xff\xe0", b"GIF89a"],
)
def test_malformed(data) -> None:
    with pytest.raises(ValueError):
        jxl_size(io.BytesIO(data))
