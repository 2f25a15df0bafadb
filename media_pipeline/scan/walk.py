"""A safe, streaming walk of a library folder, one directory at a time.

Streaming by directory keeps memory flat however large the library is, and lets the scanner
compare each folder with the catalog through an index. Nothing outside the root is followed:
symbolic links to files inside the library are read, every other link is reported.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

# Folders NAS systems and OSes fill with their own thumbnails and trash.
SKIPPED_DIRS = frozenset({"@eaDir", "#recycle", "#snapshot", "$RECYCLE.BIN", "lost+found"})


@dataclass(frozen=True)
class FileEntry:
    rel_path: str
    size: int
    mtime_ns: int


@dataclass
class Directory:
    """One folder's files (all regular files, any extension) and what could not be read."""

    rel_dir: str
    files: list[FileEntry] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    readable: bool = True


def printable(name: str) -> str:
    """A name that may hold undecodable bytes (surrogate escapes), made safe to store and show."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk(root: str) -> Iterator[Directory]:
    """Yield every readable folder under root (root first), depth first."""
    real_root = os.path.realpath(root)
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        current = Directory(rel_dir)
        try:
            with os.scandir(os.path.join(root, rel_dir)) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except FileNotFoundError:
            continue  # vanished since its parent was listed: its files will be marked missing
        except OSError as exc:
            current.problems.append((rel_dir, f"cannot read folder: {exc.strerror or exc}"))
            current.readable = False
            yield current
            continue
        subdirs: list[str] = []
        for entry in listing:
            if entry.name.startswith("."):
                continue
            rel_path = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if not _is_utf8(entry.name):
                current.problems.append(
                    (printable(rel_path), "name is not valid UTF-8; rename it to catalogue it")
                )
                continue
            try:
                if entry.is_symlink():
                    problem = _symlink_problem(entry.path, real_root)
                    if problem:
                        current.problems.append((rel_path, problem))
                        continue
                    st = os.stat(entry.path)
                    if not stat.S_ISREG(st.st_mode):
                        continue  # links to folders inside the library would repeat them
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS:
                        subdirs.append(rel_path)
                    continue
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                else:
                    continue  # sockets, fifos, devices
            except FileNotFoundError:
                continue  # vanished between listing and stat
            except OSError as exc:
                current.problems.append((rel_path, f"cannot read file: {exc.strerror or exc}"))
                continue
            current.files.append(FileEntry(rel_path, st.st_size, st.st_mtime_ns))
        pending.extend(reversed(subdirs))
        yield current


def _symlink_problem(path: str, real_root: str) -> str | None:
    target = os.readlink(path)
    try:
        resolved = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        return f"broken symbolic link (points to {target}, which does not exist)"
    except OSError as exc:
        if "loop" in str(exc).lower() or getattr(exc, "errno", None) == 40:
            return f"symbolic link loop (points to {target})"
        return f"cannot follow symbolic link to {target}: {exc.strerror or exc}"
    if not _inside(resolved, real_root):
        return f"symbolic link points outside the library ({resolved}); not followed"
    return None
