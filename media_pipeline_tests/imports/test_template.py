"""Storage templates: tokens, the appended extension, collision suffixes, bad templates."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from media_pipeline.imports.template import (
    DEFAULT_TEMPLATE,
    FileFacts,
    TemplateError,
    is_rendering_of,
    render,
    validate,
    with_suffix,
)

FACTS = FileFacts("DCIM/100/IMG_0042.JPG", datetime(2023, 3, 5, 7, 8, 9), "Canon", None, "Köln")


def test_tokens() -> None:
    assert render(DEFAULT_TEMPLATE, FACTS) == "2023/2023-03-05/IMG_0042.JPG"
    template = "{{yy}}{{MMM}}/{{hh}}{{mm}}{{ss}}-{{make}}-{{model}}-{{city}}-{{filename}}.{{ext}}"
    assert render(template, FACTS) == "23Mar/070809-Canon-Unknown-Köln-IMG_0042.JPG"
    # An empty album is no folder; a value with a slash stays one folder.
    assert render("{{album}}/{{filename}}", FACTS) == "IMG_0042.JPG"
    sliced = FileFacts("a.png", FACTS.taken_at, album="Trip 1/2")
    assert render("{{album}}/{{filename}}", sliced) == "Trip 1_2/a.png"


def test_suffixes() -> None:
    assert with_suffix("2023/IMG_1.jpg", 2) == "2023/IMG_1+2.jpg"
    assert is_rendering_of("2023/IMG_1+2.jpg", "2023/IMG_1.jpg")
    assert not is_rendering_of("2024/IMG_1.jpg", "2023/IMG_1.jpg")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{year}}/{{filename}}", "unknown template token(s) year"),
        ("{{y}}/{{MM}}", "needs {{filename}}"),
        ("/{{y}}/{{filename}}", "inside the library"),
        ("{{y}}/../{{filename}}", "inside the library"),
    ],
)
def test_bad_templates_say_why(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        validate(template)
