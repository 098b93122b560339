"""The cache file gives back exactly the tables last saved, whichever way they were written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.engine import cachefile
from syndicate.engine.cachefile import Snapshot, Tables

KEY = b"k" * 32


def _tables(count: int) -> Tables:
    return {
        "sources": {f"story-{n}.md": (n, n * 10, ("article", f"Story {n}")) for n in range(count)},
        "outputs": {f"key-{n}": ((f"s/{n}/index.html", f"sum-{n}"),) for n in range(count)},
    }


def _plain(tables: Tables) -> Tables:
    return {name: dict(table) for name, table in tables.items()}


def test_a_first_save_writes_a_snapshot_and_no_changes_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.msgpack"
    cachefile.save(path, "v1", _tables(50), None, KEY)
    assert path.is_file() and not cachefile.changes_path(path).exists()
    assert cachefile.load(path, "v1", KEY)[0] == _tables(50)


def test_a_small_change_writes_only_the_changes_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.msgpack"
    cachefile.save(path, "v1", _tables(100), None, KEY)
    snapshot_bytes = path.read_bytes()
    tables, snapshot = cachefile.load(path, "v1", KEY)
    tables["outputs"]["key-3"] = (("s/3/index.html", "new-sum"),)
    tables["outputs"]["key-new"] = (("s/new/index.html", "sum"),)
    del tables["sources"]["story-7.md"]
    expected = _plain(tables)

    cachefile.save(path, "v1", tables, snapshot, KEY)

    assert path.read_bytes() == snapshot_bytes  # the snapshot was not rewritten
    _, changes = cachefile.read_signed(cachefile.changes_path(path), KEY)
    changes = dict(changes)
    assert changes["outputs"][0].keys() == {"key-3", "key-new"}
    assert changes["sources"] == ({}, ("story-7.md",))
    assert cachefile.load(path, "v1", KEY)[0] == expected


def test_changes_accumulate_against_the_snapshot_across_publishes(tmp_path: Path) -> None:
    path = tmp_path / "cache.msgpack"
    cachefile.save(path, "v1", _tables(100), None, KEY)
    for edit in range(5):
        tables, snapshot = cachefile.load(path, "v1", KEY)
        tables["outputs"][f"key-{edit}"] = ((f"s/{edit}/index.html", f"edit-{edit}"),)
        cachefile.save(path, "v1", tables, snapshot, KEY)
    outputs = cachefile.load(path, "v1", KEY)[0]["outputs"]
    assert [outputs[f"key-{n}"][0][1] for n in range(6)] == [
        "edit-0", "edit-1", "edit-2", "edit-3", "edit-4", "sum-5",
    ]  # fmt: skip


def test_changes_past_the_share_write_a_new_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "cache.msgpack"
    cachefile.save(path, "v1", _tables(100), None, KEY)
    tables, snapshot = cachefile.load(path, "v1", KEY)
    before = path.read_bytes()
    changed = int(cachefile.SNAPSHOT_SHARE * 200) + 1  # 200 entries in the snapshot
    for n in range(changed):
        tables["outputs"][f"key-{n}"] = (("x", "changed"),)

    saved = cachefile.save(path, "v1", tables, snapshot, KEY)

    assert path.read_bytes() != before and not cachefile.changes_path(path).exists()
    assert saved.token != snapshot.token
    assert cachefile.load(path, "v1", KEY)[0]["outputs"]["key-0"] == (("x", "changed"),)


def test_a_changes_file_for_another_snapshot_is_ignored(tmp_path: Path) -> None:
    """A crash after a new snapshot was renamed in, before the old changes were removed."""
    path = tmp_path / "cache.msgpack"
    cachefile.save(path, "v1", _tables(10), None, KEY)
    tables, snapshot = cachefile.load(path, "v1", KEY)
    tables["outputs"]["key-1"] = (("stale", "stale"),)
    cachefile.save(path, "v1", tables, snapshot, KEY)
    stale_changes = cachefile.changes_path(path).read_bytes()
    cachefile.save(path, "v1", _tables(10), None, KEY)  # a new snapshot (a cold publish)
    cachefile.changes_path(path).write_bytes(stale_changes)

    assert cachefile.load(path, "v1", KEY)[0] == _tables(10)


@pytest.mark.parametrize("damage", ["version", "truncated", "missing", "changes truncated"])
def test_anything_unreadable_raises_so_the_caller_starts_cold(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cache.msgpack"
    tables = _tables(100)
    snapshot = cachefile.save(path, "v1", tables, None, KEY)
    tables["outputs"]["key-1"] = (("changed", "changed"),)
    cachefile.save(path, "v1", tables, snapshot, KEY)
    changes = cachefile.changes_path(path)
    assert changes.is_file()
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "changes truncated":
        changes.write_bytes(changes.read_bytes()[:20])
    elif damage == "missing":
        path.unlink()
    with pytest.raises(Exception):  # noqa: B017 - any failure means "start cold"
        cachefile.load(path, "v2" if damage == "version" else "v1", KEY)


edits = st.lists(
    st.tuples(st.sampled_from(["sources", "outputs"]), st.integers(0, 40), st.booleans()),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rounds=st.lists(edits, min_size=1, max_size=4))
def test_any_sequence_of_publishes_loads_back_what_was_saved(
    tmp_path_factory: pytest.TempPathFactory, rounds: list[list[tuple[str, int, bool]]]
) -> None:
    path = tmp_path_factory.mktemp("cache") / "cache.msgpack"
    tables = _tables(30)
    snapshot: Snapshot = cachefile.save(path, "v1", tables, None, KEY)
    for number, round_edits in enumerate(rounds):
        if number % 2:  # a new process: what it loads, not what the last one kept
            tables, snapshot = cachefile.load(path, "v1", KEY)
        for table, key, remove in round_edits:
            if remove:
                tables[table].pop(key, None)
            else:
                tables[table][key] = ("round", number)
        expected = _plain(tables)
        snapshot = cachefile.save(path, "v1", tables, snapshot, KEY)
        assert cachefile.load(path, "v1", KEY)[0] == expected
