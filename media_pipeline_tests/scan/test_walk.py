from __future__ import annotations

import os
from pathlib import Path

from media_pipeline.scan.walk import walk


def _listing(root: Path) -> tuple[set[str], dict[str, str]]:
    files: set[str] = set()
    problems: dict[str, str] = {}
    for directory in walk(str(root)):
        files.update(entry.rel_path for entry in directory.files)
        problems.update(directory.problems)
    return files, problems


def test_walk_reports_links_and_names_it_cannot_follow(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    (root / "sub").mkdir(parents=True)
    (root / "a.jpg").write_bytes(b"x")
    (root / "sub" / "b.jpg").write_bytes(b"y")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "c.jpg").write_bytes(b"z")
    (root / "@eaDir").mkdir()
    (root / "@eaDir" / "thumb.jpg").write_bytes(b"z")
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"o")
    os.symlink(outside, root / "outside-link.jpg")
    os.symlink(root / "nowhere.jpg", root / "broken.jpg")
    os.symlink(root / "loop-b.jpg", root / "loop-a.jpg")
    os.symlink(root / "loop-a.jpg", root / "loop-b.jpg")
    os.symlink(root / "a.jpg", root / "inside-link.jpg")
    os.symlink(root, root / "sub" / "back-to-root")
    with open(os.path.join(os.fsencode(root), b"caf\xe9.jpg"), "wb") as handle:
        handle.write(b"latin-1 name")

    files, problems = _listing(root)

    assert files == {"a.jpg", "sub/b.jpg", "inside-link.jpg"}
    assert "points outside the library" in problems["outside-link.jpg"]
    assert "broken symbolic link" in problems["broken.jpg"]
    assert "loop" in problems["loop-a.jpg"] and "loop" in problems["loop-b.jpg"]
    assert problems["caf\\xe9.jpg"] == "name is not valid UTF-8; rename it to catalogue it"
