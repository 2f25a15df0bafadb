"""A cheap change signal for a library: folder mtimes and entry counts, no file stat, no hash.

Adding, removing or renaming a file changes its folder's mtime, so the sensor notices new photos
by listing folders only. Files edited in place keep their folder's mtime: the nightly and
periodic scans catch those.
"""

from __future__ import annotations

import os

import xxhash


def library_fingerprint(root: str) -> str | None:
    """A digest of every folder's (path, mtime, entry count); None when root is unavailable."""
    if not os.path.isdir(root):
        return None
    digest = xxhash.xxh3_128()
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            mtime_ns = os.stat(folder).st_mtime_ns
            count = 0
            with os.scandir(folder) as entries:
                for entry in entries:
                    count += 1
                    if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
        except OSError:
            continue
        digest.update(f"{folder}\0{mtime_ns}\0{count}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
