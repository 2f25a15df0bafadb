"""`media-pipeline worker`: a Celery worker that runs the pipeline's steps on this machine.

It is dagster-celery's worker (the ``execute_plan`` task) with this project's app, settings
and queues, ``-P solo`` (one step at a time in the worker process itself, so a batch can
start its own process pool) and one message prefetched. Every machine needs the same
PostgreSQL (catalog and Dagster instance), broker and mounts of the library folders and
MEDIA_PIPELINE_HOME as the one that submits the runs.
"""

from __future__ import annotations

import os
import socket
import sys

import click

from media_pipeline import settings
from media_pipeline.distributed.executor import BROKER_SETTING, QUEUES


@click.command()
@click.option(
    "--queues",
    default=",".join(QUEUES),
    show_default=True,
    help="Comma-separated queues to take steps from: cpu (scan, thumbnails, videos), "
    "gpu (CLIP, faces, OCR).",
)
@click.option("--name", default=None, help="Worker name (default: worker-<host>-<pid>).")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(queues: str, name: str | None, loglevel: str) -> None:
    """Run pipeline steps sent through the broker (MEDIA_PIPELINE_CELERY_BROKER)."""
    from media_pipeline.runtime.heap import settle_heap
    from media_pipeline.runtime.instance import ensure_dagster_home

    if not settings.get(BROKER_SETTING):
        raise click.ClickException(f"set {BROKER_SETTING}, e.g. pyamqp://guest@rabbitmq-host//")
    chosen = [queue.strip() for queue in queues.split(",") if queue.strip()]
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown or not chosen:
        raise click.ClickException(f"unknown queue(s) {unknown}; choose from {', '.join(QUEUES)}")
    ensure_dagster_home()
    from media_pipeline.distributed.celery_app import app

    settle_heap()  # a long-lived process: the collector runs from here on
    node = name or f"worker-{socket.gethostname()}-{os.getpid()}"
    sys.stdout.write(f"worker {node}: queues {', '.join(chosen)}\n")
    sys.stdout.flush()
    app.worker_main(
        [
            "worker",
            "-P",
            "solo",
            "--prefetch-multiplier=1",
            "-Q",
            ",".join(chosen),
            "-n",
            f"{node}@%h",
            "--loglevel",
            loglevel,
            "--without-gossip",
            "--without-mingle",
        ]
    )
