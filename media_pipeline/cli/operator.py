"""The operator's commands: pause and resume work, cancel runs, size the concurrency pools.

All act on the Dagster instance the CLI uses (the daemon and the UI see the same state).
"""

from __future__ import annotations

import click

from media_pipeline.cli.output import console, print_json, print_table
from media_pipeline.operations.scopes import SCOPES

SCOPE = click.Choice(list(SCOPES))


def _pools_table(title: str, states: list) -> None:
    print_table(
        title,
        ["pool", "limit", "running", "waiting", "paused since"],
        [
            [
                s.pool,
                f"{s.limit} (default)" if s.from_default else s.limit,
                s.running,
                s.waiting,
                f"{s.paused_since} (resumes at {s.resume_limit})" if s.paused_since else "",
            ]
            for s in states
        ],
    )


def _scope_command(name: str, doc: str) -> click.Command:
    """`pause` or `resume`: the same arguments and output, one function of operations.pools."""

    @click.command(name, help=doc)
    @click.argument("scope", type=SCOPE, default="all")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
    def command(scope: str, as_json: bool) -> None:
        from media_pipeline.operations import pools
        from media_pipeline.runtime.instance import get_instance

        states = getattr(pools, name)(get_instance(), scope)
        if as_json:
            print_json({"scope": scope, "pools": [s.as_dict() for s in states]})
            return
        _pools_table(f"{scope} {name}d", states)

    return command


pause = _scope_command(
    "pause", "Hold work: steps of SCOPE's pools wait; steps already running finish (nothing lost)."
)
resume = _scope_command(
    "resume", "Release work held by `pause`: waiting steps start as slots free."
)


@click.command()
@click.argument("run_id", required=False)
@click.option("--library", "library_name", help="Every unfinished run of this library.")
@click.option("--all", "everything", is_flag=True, help="Every unfinished run.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def cancel(run_id: str | None, library_name: str | None, everything: bool, as_json: bool) -> None:
    """Stop runs as the UI's Terminate does: queued runs leave the queue, running ones stop
    between files; committed work is kept. RUN_ID may be a unique prefix."""
    from media_pipeline.operations.cancel import cancel_runs, runs_to_cancel
    from media_pipeline.runtime.instance import get_instance

    if sum(bool(x) for x in (run_id, library_name, everything)) != 1:
        raise click.UsageError("give one of RUN_ID, --library NAME or --all")
    instance = get_instance()
    try:
        runs = runs_to_cancel(instance, run_id=run_id, library=library_name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    outcome = cancel_runs(instance, runs)
    if as_json:
        print_json(outcome)
        return
    if not outcome:
        console.print("no unfinished runs to cancel")
        return
    print_table(
        f"Cancelled ({len(outcome)})",
        ["run", "job", "library", "was", "now"],
        [[o["run_id"][:8], o["job"], o["library"], o["was"], o["status"]] for o in outcome],
    )


@click.command()
@click.argument("pool", required=False)
@click.argument("limit", type=click.IntRange(min=0), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def concurrency(pool: str | None, limit: int | None, as_json: bool) -> None:
    """Show the concurrency pools (slots, running and waiting steps), or set POOL's LIMIT."""
    from media_pipeline.operations.pools import pool_states, set_limit
    from media_pipeline.runtime.instance import get_instance

    instance = get_instance()
    states = [set_limit(instance, pool, limit)] if pool and limit is not None else None
    states = states or pool_states(instance, pool)
    if as_json:
        print_json([s.as_dict() for s in states])
        return
    _pools_table("Concurrency pools", states)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def check(as_json: bool) -> None:
    """Run every asset check now (a Dagster run): exits 1 when one fails."""
    from media_pipeline.cli.maintenance import run_job
    from media_pipeline.operations.overview import check_summary
    from media_pipeline.runtime.instance import get_instance

    result = run_job("integrity_checks", "the checks", as_json)
    checks = [c for c in check_summary(get_instance()) if c["run_id"] == result.run_id]
    if as_json:
        print_json(checks)
    else:
        print_table(
            f"Checks ({len(checks)})",
            ["asset", "check", "status", "description"],
            [[c["asset"], c["check"], c["status"], c["description"]] for c in checks],
        )
    failed = [f"{c['asset']}/{c['check']}" for c in checks if c["status"] != "passed"]
    if failed:
        raise click.ClickException(f"failed: {', '.join(failed)}")
