"""Derivative files are written whole, and what a killed writer left is cleared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from media_pipeline.thumbnails import storage
from media_pipeline.thumbnails.storage import derivative_paths, write_atomically


def test_the_next_write_of_a_target_clears_what_a_killed_writer_left(tmp_path: Path) -> None:
    preview, thumbnail = derivative_paths("ab" * 16)
    folder = (tmp_path / preview).parent
    folder.mkdir(parents=True)
    killed = folder / f".tmp-{Path(preview).name}-k1ll3d"
    killed.write_bytes(b"half a JPEG")  # a writer killed between its write and its rename
    other = folder / f".tmp-{Path(thumbnail).name}-busy"
    other.write_bytes(b"another target's")

    write_atomically(tmp_path, preview, b"preview")

    assert (tmp_path / preview).read_bytes() == b"preview"
    assert sorted(p.name for p in folder.iterdir()) == sorted([Path(preview).name, other.name])


def test_a_rename_whose_temporary_another_writer_cleared_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers of one content-addressed target: the second cleared the first's temporary
    file and renamed its own; the first finds the target in place."""
    preview, _ = derivative_paths("cd" * 16)
    real_replace = os.replace

    def raced(source: str, target: str) -> None:
        real_replace(source, target)  # the other writer's identical file lands first
        raise FileNotFoundError(source)

    monkeypatch.setattr(storage.os, "replace", raced)
    write_atomically(tmp_path, preview, b"preview")
    assert (tmp_path / preview).read_bytes() == b"preview"

    # The other writer cleared the temporary file and has not renamed its own yet: the
    # first writes once more.
    cleared: list[str] = []

    def cleared_once(source: str, target: str) -> None:
        if not cleared:
            cleared.append(source)
            os.unlink(source)
            raise FileNotFoundError(source)
        real_replace(source, target)

    monkeypatch.setattr(storage.os, "replace", cleared_once)
    thumbnail = derivative_paths("cd" * 16)[1]
    write_atomically(tmp_path, thumbnail, b"thumbnail")
    assert cleared and (tmp_path / thumbnail).read_bytes() == b"thumbnail"

    monkeypatch.setattr(storage.os, "replace", lambda s, t: (_ for _ in ()).throw(OSError(t)))
    with pytest.raises(OSError):
        write_atomically(tmp_path, derivative_paths("ef" * 16)[0], b"x")
    assert not list(tmp_path.rglob(".tmp-*"))  # a failed write leaves nothing either
