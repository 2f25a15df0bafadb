"""Which Dagster executor the jobs use: dagster-celery's ``celery_executor`` when
MEDIA_PIPELINE_CELERY_BROKER names a broker; else every step in the run's process
(runtime/executor.py), or with MEDIA_PIPELINE_EXECUTOR=multiprocess Dagster's default, each
step of a launched run in a new process. `media-pipeline run` without a broker always runs its
steps in its own process.

The Celery settings make a step survive a worker that dies: a message is acknowledged only
when its step has ended (``task_acks_late``) and goes back to the queue when the worker
process is lost (``task_reject_on_worker_lost``), each worker takes one message at a time
(prefetch 1) so a queued batch never waits behind a busy worker, and a batch repeats nothing
that was committed (stages/runner.py). Workers run ``-P solo``: a prefork child cannot start
the stages' own worker pool (daemonic processes may not have children).
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from media_pipeline import settings

BROKER_SETTING = "MEDIA_PIPELINE_CELERY_BROKER"
BACKEND_SETTING = "MEDIA_PIPELINE_CELERY_BACKEND"
EXECUTOR_SETTING = "MEDIA_PIPELINE_EXECUTOR"
EXECUTORS = ("in_process", "multiprocess")
QUEUES = ("cpu", "gpu")  # cpu: scan, thumbnails, everything else; gpu: CLIP, faces, OCR
DEFAULT_QUEUE = "cpu"
# How often the run's process asks for finished steps. dagster-celery asks every second, so
# each hand-off in a run (plan → batches → collect → checks → run end) waited 0.5 s on
# average: about 2 s of every run (bench/distributed.py's timeline_s).
POLL_SECONDS = 0.2


def celery_broker() -> str | None:
    """The broker URL, e.g. pyamqp://guest@rabbitmq//, or None for the embedded default."""
    return settings.get(BROKER_SETTING).strip() or None


def celery_config(broker: str) -> dict[str, Any]:
    """The executor config; the workers read the same (celery_app.py)."""
    return {
        "broker": broker,
        "backend": settings.get(BACKEND_SETTING) or "rpc://",
        "include": ["media_pipeline.distributed.celery_app"],
        "config_source": {
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_default_queue": DEFAULT_QUEUE,
            "broker_connection_retry_on_startup": True,
            "worker_hijack_root_logger": False,
        },
    }


def configured_executor() -> dg.ExecutorDefinition | None:
    """dagster-celery's executor with a broker configured, else the one the executor setting
    names (None: Dagster's default, multiprocess for launched runs)."""
    broker = celery_broker()
    if broker is None:
        chosen = settings.get(EXECUTOR_SETTING).strip() or EXECUTORS[0]
        if chosen not in EXECUTORS:
            raise ValueError(
                f"{EXECUTOR_SETTING} must be in_process or multiprocess, got {chosen!r}"
            )
        if chosen == "multiprocess":
            return None
        from media_pipeline.runtime.executor import launched_in_process_executor

        return launched_in_process_executor
    try:
        from dagster_celery import celery_executor, core_execution_loop
    except ImportError as exc:
        raise RuntimeError(
            f"{BROKER_SETTING} is set but dagster-celery is missing: "
            "pip install 'media_pipeline[distributed]'"
        ) from exc
    core_execution_loop.TICK_SECONDS = POLL_SECONDS  # read on every tick of its loop
    return celery_executor.configured(celery_config(broker), name="celery")
