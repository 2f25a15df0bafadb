"""Reading text with the real PP-OCR models of the rapidocr-onnxruntime wheel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from media_pipeline.ocr.read import load_ocr, read_text
from media_pipeline.photo import fold


@pytest.fixture(scope="module")
def model():
    return load_ocr("cpu")


def test_lines_come_with_their_place_and_confidence(model, tmp_path: Path) -> None:
    image = Image.new("RGB", (800, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.text((400, 100), "OPEN DAILY", fill="black", font=ImageFont.load_default(48))
    draw.text((60, 300), "Harbour Street 12", fill="black", font=ImageFont.load_default(40))
    image.save(tmp_path / "sign.png")

    lines = read_text(model, tmp_path / "sign.png")

    assert [line.text for line in lines] == ["OPEN DAILY", "Harbour Street 12"]
    top = lines[0]
    assert top.score > 0.9
    x1, y1, x2, y2 = top.box  # fractions of the image: drawn from x=400, y=100
    assert 0.48 < x1 < 0.52 and 0.24 < y1 < 0.32 and x2 > 0.75 and y2 < 0.45


def test_a_blank_image_has_no_text(model, tmp_path: Path) -> None:
    Image.new("RGB", (640, 480), (90, 140, 60)).save(tmp_path / "blank.jpg")
    assert read_text(model, tmp_path / "blank.jpg") == []


def test_an_unreadable_image_is_an_error(model, tmp_path: Path) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    with pytest.raises(OSError):
        read_text(model, tmp_path / "broken.jpg")


def test_search_folds_case_and_accents() -> None:
    assert fold("Straße CAFÉ Ünlü") == "strasse cafe unlu"
