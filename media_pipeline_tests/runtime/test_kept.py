"""A model kept in a process loads once, even when a warm-up thread and a batch ask at once."""

from __future__ import annotations

import threading
import time

from media_pipeline.runtime.kept import kept, load_in_background


def test_a_load_asked_for_twice_at_once_runs_once_and_other_arguments_load_anew() -> None:
    loads: list[str] = []

    @kept
    def load(name: str, device: str = "cpu") -> str:
        loads.append(name)
        time.sleep(0.2)  # the batch asks while the warm-up is still loading
        return f"{name} on {device}"

    load_in_background("test-warm-up", lambda: load("clip"))
    time.sleep(0.05)
    assert load("clip") == "clip on cpu" and loads == ["clip"]
    assert load("other", device="cuda") == "other on cuda" and loads == ["clip", "other"]


def test_a_failed_warm_up_leaves_the_error_to_the_batch() -> None:
    calls = []

    @kept
    def load() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("weights missing")
        return "model"

    load_in_background("test-warm-up", load)
    for thread in threading.enumerate():
        if thread.name == "test-warm-up":
            thread.join(timeout=5)
    assert load() == "model" and len(calls) == 2  # the failure was not kept
