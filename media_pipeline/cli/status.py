"""`media-pipeline status` and `errors`: what runs, waits and failed, and the per-file failures."""

from __future__ import annotations

import os
from typing import Any

import click

from media_pipeline.catalog.failures import clear_errors, list_errors, retry_errors
from media_pipeline.cli.catalog import catalog
from media_pipeline.cli.output import (
    chatter_to_stderr,
    console,
    print_json,
    print_rows,
    print_table,
)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--recent", default=10, show_default=True, help="How many finished runs to show.")
def status(as_json: bool, recent: int) -> None:
    """Obscura's four figures — running (with progress), backlog (queued runs, files pending
    per stage), failures not cleared, recently finished — with what is paused and how the
    asset checks last ended; then the runs: running, queued, failed, recent."""
    from media_pipeline.operations.overview import overview
    from media_pipeline.runtime.instance import get_instance
    from media_pipeline.runtime.reaper import reap_dead_runs

    instance = get_instance()
    reap_dead_runs(instance)  # a dead run is never shown as running
    summary = overview(instance, catalog(), recent=recent)
    if as_json:
        print_json(summary)
        return
    figures = summary["figures"]
    console.print(
        f"[bold]running[/bold] {figures['running']}  "
        f"[bold]backlog[/bold] {figures['backlog']['queued_runs']} queued runs, "
        f"{figures['backlog']['pending_files']} files pending  "
        f"[bold]failures[/bold] {figures['failures']} not cleared  "
        f"[bold]recently finished[/bold] {figures['recently_finished']}"
    )
    for scope, since in summary["paused"].items():
        console.print(f"[bold yellow]{scope} paused since {since}[/bold yellow] (`resume {scope}`)")
    for library, stages in summary["pending"].items():
        waiting = ", ".join(f"{n} {stage}" for stage, n in stages.items() if n)
        if waiting:
            console.print(f"pending in {library}: {waiting}")
    for section in ("running", "queued", "failed", "recent"):
        _print_runs(section, summary[section])
    failures = ", ".join(f"{n} in {stage}" for stage, n in sorted(summary["file_errors"].items()))
    console.print(f"[bold]file errors[/bold]: {failures or 'none'} (see `errors`)")
    checks = summary["checks"]
    failed = [c for c in checks if c["status"] == "failed"]
    passed = sum(c["status"] == "passed" for c in checks)
    console.print(f"[bold]checks[/bold]: {passed} passed, {len(failed)} failed")
    for failure in failed:
        console.print(f"  {failure['asset']}/{failure['check']}: {failure['description']}")


def _print_runs(section: str, runs: list[dict[str, Any]]) -> None:
    if not runs:
        console.print(f"[bold]{section}[/bold]: none")
        return
    rows = []
    for run_info in runs:
        progress = run_info.get("progress")
        detail = run_info.get("error") or ""  # whole: the reason ends with its fix
        if progress:
            detail = (
                f"{progress['task']} {progress['processed']}/{progress['total']} files, "
                f"{progress['rate']:.1f}/s, ETA {progress['eta_seconds'] or '?'} s"
            )[:100]
        rows.append(
            [
                run_info["run_id"][:8],
                run_info["job"],
                run_info["library"],
                run_info["trigger"],
                run_info["status"],
                run_info["started_at"] or run_info["created_at"],
                detail,
            ]
        )
    print_table(
        f"{section} ({len(runs)})",
        ["run", "job", "library", "trigger", "status", "started", "detail"],
        rows,
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved failures.")
@click.option("--stage", help="Only this stage's failures (scan, thumbnails, clip, faces).")
@click.option("--clear", is_flag=True, help="Mark the failures resolved (a queue's clear).")
@click.option("--retry", is_flag=True, help="Process the failed files again, now.")
@click.pass_context
def errors(
    ctx: click.Context,
    as_json: bool,
    include_resolved: bool,
    stage: str | None,
    clear: bool,
    retry: bool,
) -> None:
    """Per-file failures: path, stage, error, attempts."""
    if clear:
        cleared = clear_errors(catalog(), stage)
        if as_json:
            print_json({"cleared": cleared, "stage": stage})
            return
        console.print(f"cleared {cleared} failures")
        return
    if retry:
        from media_pipeline.cli.run import run_pipeline

        names = retry_errors(catalog(), stage)
        with chatter_to_stderr(as_json):
            ok = run_pipeline(catalog(), names) if names else True
        remaining = len(list_errors(catalog(), stage=stage))
        if as_json:
            print_json({"retried_libraries": names, "stage": stage, "remaining": remaining})
        else:
            console.print(f"{remaining} failures remain")
        if not ok:
            ctx.exit(1)
        return
    rows = [
        _error_row(row)
        for row in list_errors(catalog(), include_resolved=include_resolved, stage=stage)
    ]
    print_rows(
        rows,
        as_json,
        f"Errors ({len(rows)})",
        ["path", "stage", "error", "attempts", "last seen"],
        lambda r: [r["path"], r["stage"], r["error"], r["attempts"], r["last_seen"]],
    )


def _error_row(row: dict[str, Any]) -> dict[str, Any]:
    def stamp(value: Any) -> str | None:
        return f"{value.isoformat()}Z" if value else None

    return {
        "path": os.path.join(row["root"], row["rel_path"]),
        "library": row["library"],
        "stage": row["stage"],
        "error": row["error"],
        "attempts": row["attempts"],
        "first_seen": stamp(row["first_seen"]),
        "last_seen": stamp(row["last_seen"]),
        "resolved_at": stamp(row["resolved_at"]),
    }
