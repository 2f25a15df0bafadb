"""The cyclic garbage collector during a command's start-up.

Start-up builds a few hundred thousand objects that live as long as the process (Dagster's
modules, the code location's definitions, the instance and its storage) and hold no garbage,
yet the collector's full passes walk all of them again each time they grow by a quarter:
four passes, 0.3-0.4 s of every `media-pipeline run` on the 2-core development machine, most
of a no-op run's profile after the imports themselves. So the CLI starts with the collector
off (reference counting still frees everything that is not in a cycle), and turns it back on
once start-up is done, with what start-up built frozen: later passes skip it.
"""

from __future__ import annotations

import gc


def pause_collector() -> None:
    """Off until ``settle_heap``: for a process that is about to load Dagster."""
    gc.disable()


def settle_heap() -> None:
    """Start-up is done: what it built is kept out of later passes, the collector is on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
