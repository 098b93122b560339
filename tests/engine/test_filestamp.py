"""A file's (mtime, size) stands for its content only once its clock tick has passed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from syndicate.engine.filestamp import RACY_NS, file_digest, vouches
from syndicate.engine.stamps import Racy, stamps_digest, tree_digest, tree_stamp


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_only_a_change_well_before_the_stamp_vouches_for_the_file() -> None:
    now = time.time_ns()
    assert vouches(now - RACY_NS - 1, now)
    assert not vouches(now - RACY_NS + 1, now)
    assert not vouches(now + 10**9, now)  # an mtime ahead of our clock


def test_files_changed_in_the_last_seconds_are_listed_with_their_digest(tmp_path: Path) -> None:
    old, recent = tmp_path / "old.md", tmp_path / "recent.md"
    write(old, "Two dead", time.time_ns() - 2 * RACY_NS)
    write(recent, "Six dead", time.time_ns())
    racy: Racy = []
    stamps_digest(tmp_path, racy)
    stamps = tree_stamp(tmp_path)
    assert [(p, size) for p, _, size in stamps] == [(str(old), 8), (str(recent), 8)]
    assert racy == [(str(recent), file_digest(str(recent)))]


def test_a_same_size_edit_in_the_same_tick_keeps_the_stamp_but_not_the_digest(
    tmp_path: Path,
) -> None:
    story, tick = tmp_path / "a.md", time.time_ns()
    write(story, "Two dead", tick)
    first: Racy = []
    before = stamps_digest(tmp_path, first)
    write(story, "Six dead", tick)
    second: Racy = []
    assert stamps_digest(tmp_path, second) == before
    assert first != second


def test_an_unreadable_file_has_a_digest_matching_nothing(tmp_path: Path) -> None:
    gone = str(tmp_path / "gone.md")
    assert file_digest(gone) != file_digest(gone)


def test_templates_are_stamped_by_content_whatever_their_mtime(tmp_path: Path) -> None:
    page, tick = tmp_path / "page.html", time.time_ns() - 2 * RACY_NS
    write(page, "<h1>{{ a }}</h1>", tick)
    before = tree_digest(tmp_path)
    write(page, "<h2>{{ a }}</h2>", tick)
    assert tree_digest(tmp_path) != before


def test_tree_stamps_list_files_as_os_walk_does(tmp_path: Path) -> None:
    """Sorted, files before subfolders, links to folders not followed, __pycache__ skipped,
    a dangling link stamped (-1, -1): what a walk with os.walk and os.stat gives."""
    import os

    for rel in ("b.md", "a/z.md", "a/b/c.md", "__pycache__/x.pyc", "c/d.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel, encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    expected = []
    for root, dirs, files in os.walk(tmp_path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
                expected.append((path, stat.st_mtime_ns, stat.st_size))
            except OSError:
                expected.append((path, -1, -1))
    assert tree_stamp(tmp_path) == expected
    assert [Path(p).name for p, _, _ in expected] == ["b.md", "dangling.md", "z.md", "c.md", "d.md"]
