"""Thumbnails of one library: today's single step against batch steps in process and on Celery
workers in network namespaces (other hosts), with the per-batch costs from the event log.

Modes (``--modes``):
- A: ``media-pipeline run`` from the checkout named by ``--today`` (default ../main: one step);
- D: this checkout, embedded default (batch steps in process, SQLite);
- B: this checkout, one Celery worker in a network namespace (PostgreSQL, RabbitMQ);
- C: this checkout, two Celery workers, each in its own namespace.

Each measurement is a fresh home: an untimed scan, then ``media-pipeline run --select
thumbnails`` timed from start to exit. For B and C the event log gives, per batch step: the
delay from submission to the step's start (``queued_s``: waiting for a free worker included),
the step's time minus the batch's own work (its first and last log lines: Dagster's and the
batch's set-up per batch), the events it wrote, and a timeline of the run's steps.
Needs root (ip netns), socat, PostgreSQL on 127.0.0.1:5432 and RabbitMQ on 127.0.0.1:5672.

    python bench/distributed.py --tiny 1000 --real 0 --modes A,D --repeat 3
    python bench/distributed.py --tiny 5000 --real 400 --modes A,B,C --batches 50,200,1000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from cli_runs import REPO, home_env, timed_cli

IMMICH = REPO.parent / "shared" / "corpus" / "immich-test-assets"
sys.path.insert(0, str(REPO))


def make_library(root: Path, tiny: int, real: int) -> None:
    """``tiny`` 24×16 JPEGs and ``real`` real-size JPEGs from the corpus, each content distinct
    (the real ones are corpus JPEGs with different trailing bytes: same decode work)."""
    from PIL import Image

    root.mkdir(parents=True)
    for n in range(tiny):
        Image.new("RGB", (24, 16), (n % 256, n // 256 % 256, 7)).save(root / f"t{n:05}.jpg")
    sources = sorted((IMMICH / "albums").rglob("*.jpg"))
    for n in range(real):
        data = sources[n % len(sources)].read_bytes()
        (root / f"r{n:04}.jpg").write_bytes(data + f"copy {n}".encode())


def run_embedded(library: Path, checkout: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        env = home_env(Path(scratch) / "home", checkout)
        timed_cli(env, "library", "add", "lib", str(library))
        timed_cli(env, "run", "--select", "media_catalog")
        return {"seconds": timed_cli(env, "run", "--select", "thumbnails")}


def _batch_costs(dagster_home: Path, env: dict[str, str]) -> dict:
    """Per batch step of the newest thumbnails run: submission delay, overhead, events."""
    code = """
import json, dagster as dg
from dagster import DagsterEventType as T
i = dg.DagsterInstance.get()
[record] = i.get_run_records(limit=1)
run = record.dagster_run
steps, marks = {}, {}
for r in i.get_records_for_run(run.run_id, limit=100000).records:
    e = r.event_log_entry
    kind = e.dagster_event.event_type if e.dagster_event else None
    if kind in (T.RUN_START, T.RUN_SUCCESS, T.RUN_FAILURE):
        marks[kind.value] = e.timestamp
    elif kind in (T.STEP_START, T.STEP_SUCCESS) and e.step_key:
        name = e.step_key.split("[")[0] + ":" + ("start" if kind == T.STEP_START else "end")
        marks.setdefault(name, []).append(e.timestamp)
    if not e.step_key or "_batch[" not in e.step_key:
        continue
    s = steps.setdefault(e.step_key, {"events": 0, "logs": []})
    s["events"] += 1
    kind = e.dagster_event.event_type if e.dagster_event else None
    if kind == T.ENGINE_EVENT and "Submitting celery task" in e.message and "submit" not in s:
        s["submit"] = e.timestamp
    elif kind == T.STEP_START:
        s["start"] = e.timestamp
    elif kind == T.STEP_SUCCESS:
        s["end"] = e.timestamp
    elif kind is None and ("progress:" in e.user_message or "pending" in e.user_message):
        s["logs"].append(e.timestamp)
created = record.create_timestamp.timestamp()
print(json.dumps({"steps": list(steps.values()), "marks": marks, "created": created}))
"""
    env = {**env, "DAGSTER_HOME": str(dagster_home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    found = json.loads(out.stdout)
    steps = [s for s in found["steps"] if "end" in s and "start" in s]
    delays = [s["start"] - s["submit"] for s in steps if "submit" in s]
    work = [max(s["logs"]) - min(s["logs"]) if s["logs"] else 0.0 for s in steps]
    # The step's own time beyond its batch's work: Dagster's step start and end, the batch's
    # set-up (catalog, pool) and commits. Time queued behind busy workers is in the delay.
    overhead = [s["end"] - s["start"] - w for s, w in zip(steps, work, strict=True)]
    return {
        "batches": len(steps),
        "queued_s": round(statistics.median(delays), 3) if delays else None,
        "overhead_per_batch_s": round(statistics.median(overhead), 3) if overhead else None,
        "work_per_batch_s": round(statistics.median(work), 3) if work else None,
        "events_per_batch": statistics.median(s["events"] for s in steps) if steps else None,
        "timeline_s": _timeline(found["marks"], found["created"]),
    }


def _timeline(marks: dict, created: float) -> dict[str, float]:
    """When each kind of step first started and last ended, in seconds from the run's creation:
    where a run's time goes besides the batches' work."""
    timeline = {}
    for name, value in marks.items():
        if isinstance(value, list):
            value = max(value) if name.endswith(":end") else min(value)
        timeline[name] = round(value - created, 2)
    return dict(sorted(timeline.items(), key=lambda item: item[1]))


def run_celery(library: Path, workers: int, batch_files: int) -> dict:
    import psycopg2

    from media_pipeline_tests.distributed.hosts import Host, add_vhost, delete_vhost, new_tag

    tag, database = new_tag(), f"mp_bench_{uuid.uuid4().hex[:8]}"
    vhost = f"mp-bench-{tag}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{database}"')
    add_vhost(vhost)
    hosts: list[Host] = []
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        (home / "dagster").mkdir(parents=True)
        shutil.copyfile(REPO / "deploy/distributed/dagster.yaml", home / "dagster/dagster.yaml")
        env = home_env(home, REPO)
        env.update(
            DAGSTER_PG_HOST="127.0.0.1", DAGSTER_PG_PORT="5432", DAGSTER_PG_USER="postgres",
            DAGSTER_PG_PASSWORD="", DAGSTER_PG_DB=database,
            MEDIA_PIPELINE_DATABASE_URL=f"postgresql+psycopg2://postgres@127.0.0.1/{database}",
            MEDIA_PIPELINE_CELERY_BROKER=f"pyamqp://guest:guest@127.0.0.1:5672/{vhost}",
            MEDIA_PIPELINE_BATCH_FILES=str(batch_files),
        )  # fmt: skip
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            for index in range(workers):
                hosts.append(Host(tag, index, Path(scratch) / f"worker{index}.log"))
                hosts[-1].start_worker(vhost, database)
            for host in hosts:
                host.wait_ready()
            timed_cli(env, "library", "add", "lib", str(library))
            timed_cli(env, "run", "--select", "media_catalog")
            seconds = timed_cli(env, "run", "--select", "thumbnails")
            return {"seconds": seconds, **_batch_costs(home / "dagster", env)}
        finally:
            os.environ.clear()
            os.environ.update(saved)
            for host in hosts:
                host.stop()
            delete_vhost(vhost)
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", type=int, default=5000)
    parser.add_argument("--real", type=int, default=400)
    parser.add_argument("--modes", default="A,D,B,C")
    parser.add_argument("--batches", default="50,200,1000", help="files per batch for B and C")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--today", type=Path, default=REPO.parent / "main")
    args = parser.parse_args()
    modes = args.modes.split(",")
    sizes = [int(size) for size in args.batches.split(",")]
    files = args.tiny + args.real
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        library = Path(scratch) / "library"
        make_library(library, args.tiny, args.real)
        for _ in range(args.repeat):  # interleaved: the modes share the machine's noise
            for mode in modes:
                if mode == "A":
                    results.setdefault("A today", []).append(run_embedded(library, args.today))
                elif mode == "D":
                    results.setdefault("D embedded", []).append(run_embedded(library, REPO))
                else:
                    for size in sizes:
                        label = f"{mode} {1 if mode == 'B' else 2} worker(s), batch {size}"
                        workers = 1 if mode == "B" else 2
                        results.setdefault(label, []).append(run_celery(library, workers, size))
    print(f"{files} files ({args.tiny} tiny, {args.real} real-size), medians of {args.repeat}")
    for label, runs in results.items():
        seconds = statistics.median(run["seconds"] for run in runs)
        line = f"{label:32} {seconds:8.2f} s {files / seconds:8.1f} files/s"
        extra = {k: v for k, v in runs[-1].items() if k != "seconds"}
        print(line + (f"  {json.dumps(extra)}" if extra else ""))


if __name__ == "__main__":
    main()
