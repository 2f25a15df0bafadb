"""Launched-run benchmark (on demand, not a test): python bench/launched_runs.py
--clip-model DIR [--repeat N] [--photos N]

What a user of the daemon waits for after copying new photos into a library: the sensor's
`library_pipeline` run (scan, thumbnails, faces, OCR, CLIP, checks), started as Dagster's run
launchers start it (`dagster api execute_run` in a new process) and timed from that
process's start to its exit, with each executor of the embedded default in turns
(MEDIA_PIPELINE_EXECUTOR: in_process, multiprocess). Every round starts from a copy of the same
home, made once: the models materialized by a `media-pipeline run` of the library while it was
empty, then N photos copied in (the corpus' Immich nature album and LFW faces).
``--clip-model``: a local CLIP folder (a downloaded model, or a small one); faces use dlib.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cli_runs import REPO, home_env, timed_cli

CORPUS = REPO.parent / "shared" / "corpus"
SOURCES = ("immich-test-assets/albums/nature/*.jpg", "faces-lfw/*/*.jpg")
EXECUTORS = ("in_process", "multiprocess")

_CREATE_RUN = """
import json
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import serialize_value
from media_pipeline.definitions import defs
from media_pipeline.distributed.runs import create_reconstructable_run
from media_pipeline.runtime.instance import get_instance

instance = get_instance()
job = defs.resolve_job_def("library_pipeline")
run, _ = create_reconstructable_run(instance, job, tags={}, partition="lib")
args = ExecuteRunArgs(job_origin=run.job_code_origin, run_id=run.run_id,
                      instance_ref=instance.get_ref())
print(json.dumps({"run_id": run.run_id, "args": serialize_value(args)}))
"""

_STEPS = """
import json, sys
from media_pipeline.runtime.instance import get_instance

instance = get_instance()
stats = instance.get_run_step_stats(sys.argv[1])
print(json.dumps({
    "status": instance.get_run_by_id(sys.argv[1]).status.value,
    "steps": sum(s.end_time - s.start_time for s in stats),
}))
"""


def _python(env: dict[str, str], code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"helper failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def launched_run(env: dict[str, str]) -> dict[str, float]:
    """Seconds of one launched `library_pipeline` run in a new process, and of its steps."""
    created = _python(env, _CREATE_RUN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "api", "execute_run", created["args"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    steps = _python(env, _STEPS, created["run_id"])
    if done.returncode != 0 or steps["status"] != "SUCCESS":
        raise SystemExit(f"the run ended {steps['status']}:\n{done.stderr[-3000:]}")
    return {"seconds": seconds, "steps": steps["steps"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clip-model", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--photos", type=int, default=30, help="new photos in the run")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {name: [] for name in EXECUTORS}
    with tempfile.TemporaryDirectory(prefix="bench-launched-") as scratch:
        root = Path(scratch)
        library, prepared, home = root / "library", root / "prepared", root / "home"
        library.mkdir()
        models = {
            "MEDIA_PIPELINE_CLIP_MODEL": str(args.clip_model.resolve()),
            "MEDIA_PIPELINE_FACE_BACKEND": "dlib",
        }
        env = {**home_env(prepared), **models}
        timed_cli(env, "library", "add", "lib", str(library))
        timed_cli(env, "run")  # the models, an empty library
        photos = itertools.chain.from_iterable(sorted(CORPUS.glob(p)) for p in SOURCES)
        for path in itertools.islice(photos, args.photos):
            shutil.copy2(path, library / f"{path.parent.name}-{path.name}")
        for _ in range(max(args.repeat, 1)):
            for name in EXECUTORS:
                shutil.rmtree(home, ignore_errors=True)
                shutil.copytree(prepared, home, symlinks=True)
                run_env = {**home_env(home), **models, "MEDIA_PIPELINE_EXECUTOR": name}
                results[name].append(launched_run(run_env))
                print(f"  {name:12} {results[name][-1]['seconds']:6.2f} s", flush=True)
    print(f"launched library_pipeline run, {args.photos} new photos, medians of {args.repeat}:")
    for name, runs in results.items():
        wall = statistics.median(r["seconds"] for r in runs)
        steps = statistics.median(r["steps"] for r in runs)
        print(f"  {name:12} {wall:6.2f} s (its steps' own time {steps:6.2f} s)")
    ours, theirs = (statistics.median(r["seconds"] for r in results[n]) for n in EXECUTORS)
    print(f"  in_process / multiprocess: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
