"""Storage templates (Immich's tokens): ``{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}`` gives
``2023/2023-03-12/IMG_0001.jpg``. Pure.

Tokens: y, yy, MM, MMM, dd, hh, mm, ss (the local capture time), filename (without its
extension), ext, album, make, model, city. The extension is appended unless the template
ends with ``{{ext}}``.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from datetime import datetime

TOKEN = re.compile(r"\{\{\s*([A-Za-z]+)\s*\}\}")
TOKENS = ("y", "yy", "MM", "MMM", "dd", "hh", "mm", "ss", "filename", "ext", "album")
TOKENS += ("make", "model", "city")
UNKNOWN = "Unknown"  # camera or city not recorded
DEFAULT_TEMPLATE = "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}"


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class FileFacts:
    """What a template can say about one file (from its catalog row)."""

    rel_path: str
    taken_at: datetime
    make: str | None = None
    model: str | None = None
    city: str | None = None
    album: str | None = None


def validate(template: str) -> str:
    """The template, or a TemplateError naming what is wrong with it."""
    unknown = sorted({name for name in TOKEN.findall(template) if name not in TOKENS})
    if unknown:
        raise TemplateError(
            f"unknown template token(s) {', '.join(unknown)}; use {', '.join(TOKENS)}"
        )
    if "filename" not in TOKEN.findall(template):
        raise TemplateError("a template needs {{filename}}, or every file would share a name")
    if template.startswith("/") or ".." in template.split("/"):
        raise TemplateError("a template is a path inside the library: no leading / and no ..")
    return template


def _clean(value: str) -> str:
    """One path component's worth of a value: no separators, no dot-only names."""
    value = re.sub(r"[/\\\x00]", "_", value).strip()
    return "_" if value in (".", "..") else value


def render(template: str, facts: FileFacts) -> str:
    """The file's path relative to the target library's root."""
    name = posixpath.basename(facts.rel_path)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    taken = facts.taken_at
    values = {
        "y": f"{taken.year:04}",
        "yy": f"{taken.year % 100:02}",
        "MM": f"{taken.month:02}",
        "MMM": taken.strftime("%b"),
        "dd": f"{taken.day:02}",
        "hh": f"{taken.hour:02}",
        "mm": f"{taken.minute:02}",
        "ss": f"{taken.second:02}",
        "filename": stem,
        "ext": ext,
        "album": facts.album or "",
        "make": facts.make or UNKNOWN,
        "model": facts.model or UNKNOWN,
        "city": facts.city or UNKNOWN,
    }
    path = TOKEN.sub(lambda m: _clean(values[m.group(1)]), validate(template))
    if ext and not template.rstrip().endswith("{{ext}}"):
        path = f"{path}.{ext}"
    parts = [part.strip() for part in path.split("/") if part.strip()]  # empty album: no folder
    return "/".join(parts)


def with_suffix(rel_path: str, number: int) -> str:
    """``a/IMG_1.jpg`` -> ``a/IMG_1+2.jpg`` (Immich's collision suffix)."""
    folder, name = posixpath.split(rel_path)
    stem, dot, ext = name.rpartition(".")
    named = f"{stem}+{number}.{ext}" if dot else f"{name}+{number}"
    return posixpath.join(folder, named)


def is_rendering_of(rel_path: str, rendered: str) -> bool:
    """Whether ``rel_path`` is ``rendered`` itself or it with a collision suffix."""
    if rel_path == rendered:
        return True
    return any(rel_path == with_suffix(rendered, n) for n in range(1, 1000))
