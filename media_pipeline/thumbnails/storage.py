"""Where derivatives live: content-addressed files under MEDIA_PIPELINE_HOME/thumbs.

The path is a function of the original's content hash alone, so a moved, renamed or copied
original finds its derivatives without rendering, and several libraries share them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from media_pipeline.home import THUMBS


def derivative_paths(content_hash: str) -> tuple[str, str]:
    """(preview, thumbnail) paths relative to MEDIA_PIPELINE_HOME."""
    folder = os.path.join(THUMBS, content_hash[:2], content_hash[2:4])
    return (
        os.path.join(folder, f"{content_hash}-preview.jpg"),
        os.path.join(folder, f"{content_hash}-thumb.webp"),
    )


def write_atomically(home: Path, rel_path: str, data: bytes) -> None:
    """Write beside the target and rename: a reader never sees half a file.

    The temporary file is named after its target (``.tmp-<name>-XXXX``), so the next writer
    of that target removes what a killed writer left of it: a content whose write was cut
    short was not committed, so it is written again, and no leftover outlives that. Every
    writer of a content-addressed target writes the same file, so when a rename finds its
    temporary file gone (another writer of the same target cleared it) and the target in
    place, the file is written; with the target not there yet, it writes once more."""
    target = home / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".tmp-{target.name}-"
    with os.scandir(target.parent) as entries:  # not Path.glob: a regex compiled per name
        for entry in entries:
            if entry.name.startswith(prefix):
                Path(entry.path).unlink(missing_ok=True)
    if not _rename_into(target, prefix, data) and not _rename_into(target, prefix, data):
        raise FileNotFoundError(f"{target}: another writer removed the file being written")


def _rename_into(target: Path, prefix: str, data: bytes) -> bool:
    """Write a temporary file and rename it to ``target``; False when the temporary file was
    removed before its rename and the target is not there (another writer's is on its way)."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=prefix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except FileNotFoundError:
        return target.is_file()
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True
