"""A walk kept up to date from a watcher's changed paths equals a new walk, or walks anew."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syndicate.engine import stamps
from syndicate.engine.cache import BuildCache, read_incrementally, restat_content
from syndicate.engine.stamps import Racy, stamps_digest, tree_stamp
from syndicate.engine.walks import Walks
from syndicate.reader import content_entries

NAMES = ["a.md", "b.md", "_index.md", "notes.txt", ".a.md.swp"]
FOLDERS = ["", "world", "world/asia", "_drafts"]
OPS = st.tuples(
    st.sampled_from(["write", "grow", "remove", "remove-folder"]),
    st.sampled_from(FOLDERS),
    st.sampled_from(NAMES),
)


def apply(root: Path, op: str, folder: str, name: str) -> list[str]:
    """Make one change below `root`; the paths a watcher would report for it."""
    where = root / folder
    path = where / name
    if op == "write":
        where.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: T\npublished: 2024-01-01\n---\nx\n", encoding="utf-8")
    elif op == "grow" and path.is_file():
        with path.open("a", encoding="utf-8") as handle:
            handle.write("more\n")
    elif op == "remove" and path.is_file():
        path.unlink()
    elif op == "remove-folder" and folder and where.is_dir():
        shutil.rmtree(where)
        return [str(where)]
    else:
        return []
    return [str(path)]


def fresh_and_kept(root: Path, walks: Walks) -> tuple[list[object], list[object]]:
    fresh = [tree_stamp(root), list(content_entries(str(root)))]
    folder = str(root)
    kept = [
        tree_stamp(root, walks),
        walks.walk("content", folder, lambda: content_entries(folder), restat_content),
    ]
    return fresh, kept


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(OPS, min_size=1, max_size=4), min_size=1, max_size=5))
def test_a_kept_walk_is_what_a_new_walk_gives(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[str, str, str]]]
) -> None:
    kept_is_fresh(tmp_path_factory.mktemp("walks"), batches, fresh_and_kept)


def kept_is_fresh(
    root: Path,
    batches: list[list[tuple[str, str, str]]],
    look: Callable[[Path, Walks], tuple[object, object]],
) -> None:
    """After each batch of changes, told to `walks`, `look` gives from the kept walks
    what it gives from new ones."""
    for folder in FOLDERS:
        apply(root, "write", folder, "a.md")
    walks = Walks()
    walks.note(None)
    look(root, walks)
    for batch in batches:
        changed = [path for op in batch for path in apply(root, *op)]
        walks.note(changed)
        fresh, kept = look(root, walks)
        assert kept == fresh


def digests(root: Path, walks: Walks) -> tuple[tuple[str, Racy], tuple[str, Racy]]:
    """`stamps_digest` of `root` from a new walk, and from `walks` brought up to date."""
    fresh: Racy = []
    kept: Racy = []
    new = stamps_digest(root, fresh)
    return (new, sorted(fresh)), (stamps_digest(root, kept, walks), sorted(kept))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(OPS, min_size=1, max_size=4), min_size=1, max_size=5))
def test_a_kept_walks_digest_is_a_new_walks(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    batches: list[list[tuple[str, str, str]]],
) -> None:
    """What watch records is what `publish` compares with: digested in chunks of two
    files here, so an edit digests some chunks again and keeps the others."""
    monkeypatch.setattr(stamps, "STAMP_CHUNK", 2)
    kept_is_fresh(tmp_path_factory.mktemp("digests"), batches, digests)


def test_racy_files_are_found_again_as_time_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        (tmp_path / f"s{n}.md").write_text("x", encoding="utf-8")
    walks = Walks()
    walks.note(None)
    monkeypatch.setattr(stamps, "RACY_NS", 10**15)  # every file changed "just now"
    fresh, kept = digests(tmp_path, walks)
    assert kept == fresh and len(kept[1]) == 5
    for ns in (0, 10**15):  # time passed: none is racy; the clock set back: all again
        monkeypatch.setattr(stamps, "RACY_NS", ns)
        walks.note([])
        fresh, kept = digests(tmp_path, walks)
        assert kept == fresh and len(kept[1]) == (5 if ns else 0)


def test_an_edit_restats_one_file_instead_of_walking(tmp_path: Path) -> None:
    for n in range(5):
        (tmp_path / f"s{n}.md").write_text("---\ntitle: T\n---\n", encoding="utf-8")
    walks = Walks()
    walks.note(None)
    calls = []

    def walk() -> list[tuple[str, int]]:
        calls.append(1)
        return [(str(p), p.stat().st_size) for p in sorted(tmp_path.iterdir())]

    def restat(entry: tuple[object, ...]) -> tuple[str, int]:
        return str(entry[0]), os.stat(str(entry[0])).st_size

    walks.walk("w", str(tmp_path), walk, restat)
    edited = tmp_path / "s2.md"
    edited.write_text("---\ntitle: Longer title\n---\n", encoding="utf-8")
    walks.note([str(edited)])
    kept = walks.walk("w", str(tmp_path), walk, restat)
    assert len(calls) == 1  # the edited file was stat'ed again, nothing walked
    assert kept == walk()
    (tmp_path / "s9.md").write_text("new", encoding="utf-8")
    walks.note([str(tmp_path / "s9.md")])
    kept = walks.walk("w", str(tmp_path), walk, restat)
    assert len(calls) == 3  # a new file: walked again
    assert kept == walk()


def test_unknown_changes_walk_again(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: T\npublished: 2024-01-01\n---\n", encoding="utf-8")
    walks = Walks()
    read_incrementally(tmp_path, 10**6, BuildCache(), walks)
    (tmp_path / "b.md").write_text("---\ntitle: U\npublished: 2024-01-02\n---\n", encoding="utf-8")
    walks.note(None)  # e.g. a publish not from the watcher
    read = read_incrementally(tmp_path, 10**6, BuildCache(), walks)
    assert [rel for rel, _, _ in read.stamps] == ["a.md", "b.md"]


def test_a_file_named_by_its_real_path_is_stated_again(tmp_path: Path) -> None:
    """The folder is reached through a symbolic link; the watcher names the real path."""
    real = tmp_path / "real"
    real.mkdir()
    story = real / "a.md"
    story.write_text("one", encoding="utf-8")
    link = tmp_path / "content"
    link.symlink_to(real, target_is_directory=True)
    walks = Walks()
    walks.note(None)
    assert [p for p, _, _ in tree_stamp(link, walks)] == [str(link / "a.md")]
    story.write_text("longer text", encoding="utf-8")
    walks.note([str(story)])
    assert tree_stamp(link, walks) == tree_stamp(link)
