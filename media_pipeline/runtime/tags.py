"""Run tags: the queue's per-library limit keys on SCAN; the CLI and UI filter on the others."""

LIBRARY = "media_pipeline/library"
TRIGGER = "media_pipeline/trigger"
SCAN = "media_pipeline/scan"
# Where a CLI-executed run's process lives, and when it last said it was alive (runtime/reaper.py).
HOST = "media_pipeline/host"
PID = "media_pipeline/pid"
HEARTBEAT = "media_pipeline/heartbeat"


def library_run_tags(library: str, trigger: str, *, scan: bool = True) -> dict[str, str]:
    tags = {LIBRARY: library, TRIGGER: trigger}
    if scan:
        tags[SCAN] = library
    return tags
