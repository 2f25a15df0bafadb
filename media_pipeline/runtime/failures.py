"""What failed in a run, one line per asset: the message a user acts on (which names the fix),
not the stack. Tracebacks stay in the run's event log (the UI) and behind `run --verbose`."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster._core.execution.plan.objects import StepFailureData
from dagster._utils.error import SerializableErrorInfo

# Dagster's wrappers around the error the asset raised.
_WRAPPERS = frozenset({"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"})
MAX_CHARS = 500


@dataclass(frozen=True)
class RunOutcome:
    """A finished run's failed steps (step → one-line message) and succeeded ones."""

    failed: dict[str, str]
    succeeded: list[str]
    run_failure: str | None  # why the run itself failed, when no step says it


def one_line(text: str, limit: int = MAX_CHARS) -> str:
    """Whitespace folded to single spaces, at most ``limit`` characters."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def _root(error: SerializableErrorInfo) -> SerializableErrorInfo:
    while error.cls_name in _WRAPPERS and error.cause is not None:
        error = error.cause
    return error


def step_failure_message(data: StepFailureData) -> str:
    """A dg.Failure's description, else the raised error's class and message."""
    if data.user_failure_data is not None and data.user_failure_data.description:
        return one_line(data.user_failure_data.description)
    if data.error is None:
        return "failed"
    error = _root(data.error)
    message = error.message.strip()
    if error.cls_name and not message.startswith(error.cls_name):
        message = f"{error.cls_name}: {message}"
    return one_line(message)


def run_outcome(instance: dg.DagsterInstance, run_id: str) -> RunOutcome:
    """Read the run's step events from its event log."""
    kinds = {
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.RUN_FAILURE,
    }
    failed: dict[str, str] = {}
    succeeded: list[str] = []
    run_failure = None
    for record in instance.get_records_for_run(run_id, of_type=kinds, limit=10_000).records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failed.setdefault(
                _asset_of(event.step_key), step_failure_message(event.event_specific_data)
            )
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            succeeded.append(_asset_of(event.step_key))
        else:
            data = event.event_specific_data
            error = getattr(data, "error", None)
            message = _root(error).message if error else entry.user_message or event.message
            run_failure = one_line(message or "")
    succeeded = [asset for asset in dict.fromkeys(succeeded) if asset not in failed]
    return RunOutcome(failed, succeeded, run_failure)


def _asset_of(step_key: str) -> str:
    """The asset a step belongs to: a graph-backed asset's steps are ``asset.op[batch]``."""
    return step_key.split(".", 1)[0].split("[", 1)[0]
