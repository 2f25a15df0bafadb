"""Maintenance commands: `purge-missing` ("Delete Missing Photos"), `backup`, `restore`.

Purge and backup are Dagster runs of the code location's jobs (in the UI's history like the
nightly ones); what they did is the metadata of their op. A failure is one line on stderr
with the reason and its fix, as `run` prints it; the traceback is in the run's log.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from media_pipeline import settings
from media_pipeline.catalog.store import open_catalog
from media_pipeline.cli.output import chatter_to_stderr, console, print_json

SHOWN = 20  # paths a dry run lists in the terminal (--json has up to 200)


def run_job(job_name: str, what: str, as_json: bool, run_config: dict | None = None) -> Any:
    """Execute a job of the code location; its result, or a ClickException saying in one line
    why `what` failed (the failed step's message, which names the fix)."""
    from media_pipeline.cli.run import execute_job
    from media_pipeline.definitions import defs
    from media_pipeline.runtime.failures import run_outcome
    from media_pipeline.runtime.instance import get_instance

    instance = get_instance()
    with chatter_to_stderr(as_json):
        result = execute_job(instance, defs.resolve_job_def(job_name), run_config=run_config)
    if result is None:
        raise click.ClickException(f"{what} interrupted; run it again")
    if not result.success:
        outcome = run_outcome(instance, result.run_id)
        reason = next(iter(outcome.failed.values()), None) or outcome.run_failure
        raise click.ClickException(
            f"{what} failed: {reason or 'the run did not finish'} (run {result.run_id}; "
            "traceback in its log in the UI)"
        )
    return result


def op_metadata(result: Any, op_name: str) -> dict[str, Any]:
    """The metadata an op attached to its output, as plain values."""
    for event in result.events_for_node(op_name):
        if event.is_successful_output:
            return {key: value.value for key, value in event.step_output_data.metadata.items()}
    return {}


@click.command("purge-missing")
@click.option("--grace-days", default=30, show_default=True, help="Missing for at least this.")
@click.option("--dry-run", is_flag=True, help="Only list what would be purged.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def purge_missing_command(grace_days: int, dry_run: bool, as_json: bool) -> None:
    """Delete Missing Photos: purge rows and derivatives of long-missing files (a Dagster run);
    originals are never touched."""
    config = {
        "ops": {"purge_missing_files": {"config": {"grace_days": grace_days, "dry_run": dry_run}}}
    }
    result = run_job("delete_missing_photos", "purge", as_json, config)
    found = op_metadata(result, "purge_missing_files")
    outcome = {
        "dry_run": dry_run,
        "grace_days": grace_days,
        "files": found.get("files", 0),
        "derivatives_deleted": found.get("derivatives_deleted", 0),
        "paths": found.get("listed", []),
        "run_id": result.run_id,
    }
    if as_json:
        print_json(outcome)
        return
    count, age = outcome["files"], f"missing for {grace_days}+ days"
    if not count:
        console.print(f"no files {age}: nothing to purge")
    elif dry_run:
        console.print(
            f"would purge {count} files {age} (dry run: nothing deleted):", soft_wrap=True
        )
        for path in outcome["paths"][:SHOWN]:
            console.print(f"  {path}", markup=False, highlight=False, soft_wrap=True)
        if count > SHOWN:
            console.print(f"  … and {count - SHOWN} more (all in `--json` and the run's log)")
    else:
        console.print(
            f"purged {count} files {age} and {outcome['derivatives_deleted']} derivative files"
        )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def backup(as_json: bool) -> None:
    """Back the catalog up now into MEDIA_PIPELINE_HOME/backups (a Dagster run)."""
    result = run_job("backup_catalog_job", "backup", as_json)
    found = op_metadata(result, "backup_catalog_op")
    outcome = {
        "backup": found.get("backup"),
        "bytes": found.get("bytes"),
        "kept": found.get("kept"),
        "run_id": result.run_id,
    }
    if as_json:
        print_json(outcome)
        return
    size = f"{outcome['bytes'] / 1e6:.1f} MB" if outcome["bytes"] is not None else "?"
    where = os.path.dirname(outcome["backup"] or "")
    console.print(
        f"catalog backed up to {outcome['backup']} ({size}); {outcome['kept']} backups kept "
        f"in {where}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@click.command()
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def restore(backup_file: str, yes: bool, as_json: bool) -> None:
    """Replace the catalog with a backup (stop the daemon and running scans first)."""
    from media_pipeline.maintenance.backup import restore_catalog

    store = open_catalog(settings.database_url())
    if not yes:
        click.confirm(
            f"Replace the catalog at {store.url} with {backup_file}?", abort=True, err=True
        )
    try:
        restore_catalog(store, Path(backup_file))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        print_json({"restored": os.path.abspath(backup_file), "catalog": store.url})
        return
    console.print(
        f"restored {backup_file} into {store.url}", markup=False, highlight=False, soft_wrap=True
    )
