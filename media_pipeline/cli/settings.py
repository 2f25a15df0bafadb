"""`media-pipeline settings`: every setting, its value and where the value came from."""

from __future__ import annotations

import click

from media_pipeline import settings
from media_pipeline.cli.output import console, print_json, print_table


@click.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def settings_command(as_json: bool) -> None:
    """Each setting's value and its source: environment, settings file or default."""
    try:
        rows = []
        for setting in settings.SETTINGS:
            value, source = settings.lookup(setting.name)
            rows.append(
                {
                    "name": setting.name,
                    "value": value,
                    "source": source,
                    "file_key": setting.key if setting.in_file else None,
                    "help": setting.help,
                }
            )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    path = settings.settings_file()
    if as_json:
        print_json({"file": str(path), "file_exists": path.is_file(), "settings": rows})
        return
    print_table(
        "Settings (environment over file over default)",
        ["name", "value", "source"],
        [[row["name"], row["value"], row["source"]] for row in rows],
    )
    console.print(f"settings file: {path}{'' if path.is_file() else ' (none yet)'}")
