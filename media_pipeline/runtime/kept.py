"""Models kept loaded in a process, and loaded ahead in the background.

A worker takes batch after batch of one stage, and a CLI run executes every step in its own
process: a model that takes seconds to load (CLIP's torch and transformers, the OCR engine)
is loaded once per process, and can start loading while other stages' batches run
(``Stage.warm_up``). A batch that asks while a warm-up thread is loading waits for that load
instead of making its own.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any


def kept(load: Callable[..., Any]) -> Any:
    """``load`` memoised for its latest arguments (one model kept; other arguments load
    anew), one caller at a time. The result has ``cache_clear`` and ``cache_info``."""
    cached = functools.lru_cache(maxsize=1)(load)
    lock = threading.Lock()

    @functools.wraps(load)
    def get(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return cached(*args, **kwargs)

    get.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    get.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return get


def load_in_background(name: str, load: Callable[[], object]) -> None:
    """Start ``load`` in a thread called ``name``. Its errors are dropped: the batch's own
    call loads again and raises them where the run reports them."""

    def run() -> None:
        with contextlib.suppress(Exception):
            load()

    threading.Thread(target=run, name=name).start()
