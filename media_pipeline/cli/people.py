"""`media-pipeline people`: list people, name them, merge two, move a face by hand, see the
merges the faces suggest.

Edits take effect at once in the catalog; the next `run` (or the nightly one) recognises new
faces of the people named here and never moves a face placed by hand.
"""

from __future__ import annotations

from dataclasses import asdict

import click

from media_pipeline import settings
from media_pipeline.catalog.people import (
    PersonNotFound,
    list_people,
    merge_people,
    move_face,
    name_person,
    photos_of,
)
from media_pipeline.cli.catalog import catalog
from media_pipeline.cli.output import console, print_json, print_table


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def people(ctx: click.Context, as_json: bool) -> None:
    """People with face counts (most faces first); subcommands edit them."""
    if ctx.invoked_subcommand is not None:
        return
    rows = list_people(catalog(), str(settings.media_home()))
    if as_json:
        print_json([asdict(person) for person in rows])
        return
    print_table(
        f"People ({len(rows)})",
        ["id", "name", "faces", "cover"],
        [
            [
                person.id,
                person.name or "(unnamed)",
                person.face_count,
                person.cover_face.file if person.cover_face else None,
            ]
            for person in rows
        ],
    )


@people.command("name")
@click.argument("person_id", type=int)
@click.argument("name")
def people_name(person_id: int, name: str) -> None:
    """Name person PERSON_ID (their faces then train the recognition of new photos)."""
    try:
        name_person(catalog(), person_id, name)
    except (PersonNotFound, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"person {person_id} is now [bold]{name.strip()}[/bold]")


@people.command("merge")
@click.argument("keep", type=int)
@click.argument("other", type=int)
def people_merge(keep: int, other: int) -> None:
    """Move every face of person OTHER into person KEEP, and remove OTHER."""
    try:
        moved = merge_people(catalog(), keep, other)
    except (PersonNotFound, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"merged person {other} into {keep}: {moved} faces moved")


@people.command("move")
@click.argument("face_id", type=int)
@click.argument("person_id")
def people_move(face_id: int, person_id: str) -> None:
    """Put face FACE_ID (see `info PATH`) into PERSON_ID, or `none` to take it out of every
    person. The algorithms never move it again."""
    if person_id.lower() != "none" and not person_id.isdigit():
        raise click.BadParameter("a person id or `none`", param_hint="PERSON_ID")
    target = None if person_id.lower() == "none" else int(person_id)
    try:
        move_face(catalog(), face_id, target)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"face {face_id} → {'nobody' if target is None else f'person {target}'}")


@people.command("photos")
@click.argument("person_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def people_photos(person_id: int, as_json: bool) -> None:
    """The files person PERSON_ID appears in, oldest first."""
    try:
        paths = photos_of(catalog(), person_id)
    except PersonNotFound as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json(paths)
        return
    for path in paths:
        console.print(path, highlight=False)


@people.command("suggestions")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def people_suggestions(as_json: bool) -> None:
    """Pairs of people whose faces are close as wholes, nearest first: confirm one with
    `people merge KEEP OTHER`."""
    from media_pipeline.faces.suggest import merge_suggestions  # numpy: not for `people`

    pairs = merge_suggestions(catalog())
    if as_json:
        print_json(pairs)
        return
    print_table(
        f"Suggested merges ({len(pairs)})",
        ["keep", "other", "distance"],
        [
            [
                f"{p['keep']} {p['keep_name'] or '(unnamed)'}, {p['keep_faces']} faces",
                f"{p['other']} {p['other_name'] or '(unnamed)'}, {p['other_faces']} faces",
                f"{p['distance']:.3f}",
            ]
            for p in pairs
        ],
    )
    if pairs:
        console.print("confirm one with: media-pipeline people merge KEEP OTHER", highlight=False)
