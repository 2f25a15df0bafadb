"""The Celery app a worker runs (``celery -A media_pipeline.distributed.celery_app``):
dagster-celery's step task, on this project's settings and queues.

dagster-celery submits a step with ``queue=<its tag>`` and the routing key
``<queue>.execute_plan``; each queue is declared here bound by that key (and by its own
name), so a step published before any worker listened still lands in its queue.
"""

from __future__ import annotations

import socket

from celery.signals import task_prerun
from dagster._grpc.types import ExecuteStepArgs
from dagster._serdes import unpack_value
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task
from kombu import Exchange, Queue, binding

from media_pipeline.distributed.executor import QUEUES, celery_broker, celery_config


def _queue(name: str) -> Queue:
    exchange = Exchange(name, type="direct")
    keys = (name, f"{name}.execute_plan")
    return Queue(name, exchange, bindings=[binding(exchange, routing_key=key) for key in keys])


def make_worker_app():
    config = celery_config(celery_broker() or "pyamqp://guest@localhost//")
    del config["include"]
    app = make_app(CeleryExecutor.for_cli(**config).app_args())
    app.conf.task_queues = [_queue(name) for name in QUEUES]
    return app


app = make_worker_app()
execute_plan = create_task(app)


@task_prerun.connect
def _log_step(task_id: str | None = None, kwargs: dict | None = None, **_: object) -> None:
    """One line per batch (step) on the worker's stdout: which step of which run, where."""
    packed = (kwargs or {}).get("execute_step_args_packed")
    if packed is None:
        return
    args = unpack_value(packed, as_type=ExecuteStepArgs)
    steps = ", ".join(args.step_keys_to_execute or [])
    print(f"{socket.gethostname()}: step {steps} of run {args.run_id}", flush=True)
