"""`media-pipeline search` and `similar`: text (OCR, captions) and CLIP hits as present files."""

from __future__ import annotations

import os
from typing import Any

import click

from media_pipeline import settings
from media_pipeline.catalog.info import file_info
from media_pipeline.cli.catalog import catalog
from media_pipeline.cli.output import print_json, print_table
from media_pipeline.home import Home


def _ranked(hits: list[tuple[str, float]], limit: int) -> list[dict[str, Any]]:
    """Index hits (content hashes) as present files, best first: one row per path."""
    from media_pipeline.catalog.embeddings import paths_of

    located = paths_of(catalog(), [key for key, _ in hits])
    rows = [
        {"path": path, "score": round(float(score), 4)}
        for key, score in hits
        for path in located.get(key, [])
    ]
    return rows[:limit]


def _search_index() -> Any:
    from media_pipeline.clip.index import SearchIndex

    folder = Home(settings.media_home()).search_index
    if not folder.exists():
        raise click.ClickException("no search index yet: run `media-pipeline run` first")
    return SearchIndex.load(folder)


def _print_hits(title: str, rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    columns = ["score", "path"] + (["matched", "text"] if any("matched" in r for r in rows) else [])
    print_table(title, columns, [[row.get(name) for name in columns] for row in rows])


def _text_hits(text: str, limit: int) -> list[dict[str, Any]]:
    """Files whose recognised text holds the words of TEXT: exact matches, so first."""
    from media_pipeline.catalog.embeddings import paths_of
    from media_pipeline.catalog.text import find_text

    found = find_text(catalog(), text, limit)
    located = paths_of(catalog(), [key for key, _ in found])
    return [
        {"path": path, "score": 1.0, "matched": "text", "text": line}
        for key, line in found
        for path in located.get(key, [])
    ][:limit]


def _clip_hits(text: str, limit: int, required: bool) -> list[dict[str, Any]]:
    """CLIP's hits; without an index or model only an error when nothing else matched."""
    from media_pipeline.clip.model import load_clip
    from media_pipeline.models.ensure import ensure_model
    from media_pipeline.models.errors import ModelError
    from media_pipeline.models.specs import clip_spec

    try:
        index = _search_index()
        files = ensure_model(clip_spec(), Home(settings.media_home()).models, offline=True)
    except (click.ClickException, ModelError) as exc:
        if required:
            raise click.ClickException(str(exc)) from None
        return []
    model = load_clip(files.path)
    hits = index.search(model.embed_text([text])[0], limit * 2)
    return [{**row, "matched": "clip"} for row in _ranked(hits, limit)]


@click.command()
@click.argument("text")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def search(text: str, limit: int, as_json: bool) -> None:
    """Files with TEXT written in them (OCR) or in their caption or keywords, then files that
    look like TEXT (CLIP); each hit says which matched."""
    from media_pipeline.catalog.captions import caption_matches

    rows = _text_hits(text, limit)
    seen = {row["path"] for row in rows}
    rows += [
        {"path": path, "score": 1.0, "matched": "caption"}
        for path in caption_matches(catalog(), text, limit)
        if path not in seen
    ]
    seen = {row["path"] for row in rows}
    rows += [row for row in _clip_hits(text, limit, not rows) if row["path"] not in seen]
    _print_hits(f"Search: {text}", rows[:limit], as_json)


@click.command()
@click.argument("path", type=click.Path())
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def similar(path: str, limit: int, as_json: bool) -> None:
    """Visually similar files (CLIP), the file itself first."""
    record = file_info(catalog(), os.path.abspath(path))
    if record is None:
        raise click.ClickException(f"{path} is not in the catalog (is its library scanned?)")
    index = _search_index()
    if record["content_hash"] not in index.rows:
        raise click.ClickException(f"{path} has no embedding yet: run `media-pipeline run`")
    hits = index.similar(record["content_hash"], limit * 2)
    _print_hits(f"Similar to {path}", _ranked(hits, limit), as_json)
