"""The build cache on disk: a snapshot of every entry, plus the entries changed since.

After one edit a publish changes a handful of the tens of thousands of entries the cache
holds, and pickling them all again was a tenth of that publish. So a publish writes only
what differs from the last snapshot, into a second file, and writes a new snapshot once
those changes outgrow a share of it. Any file missing, damaged or from another version
makes the caller start cold: that costs time, never a wrong result.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Table = dict[Any, Any]
Tables = dict[str, Table]
Changes = dict[str, tuple[Table, set[Any]]]  # table -> (entries set, keys removed)

# Changes past this share of the snapshot's entries are written as a new snapshot: the
# changes file is rewritten whole on every publish and read on every load.
SNAPSHOT_SHARE = 0.1


@dataclass
class Snapshot:
    """The last full write: later changes are worked out against it, and carry its token."""

    token: str
    tables: Tables  # its entries; values are shared with the live tables, dicts are not


def changes_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.changes")


def load(path: Path, version: str) -> tuple[Tables, Snapshot]:
    """The entries last saved, and their snapshot; raises if they cannot be read (the
    caller starts cold)."""
    with path.open("rb") as handle:
        head = pickle.load(handle)
    if head["version"] != version:
        raise ValueError(f"{path}: written by another version")
    snapshot = Snapshot(head["token"], head["tables"])
    tables = _copy(snapshot.tables)
    changes: Changes = {}
    with contextlib.suppress(FileNotFoundError):
        with changes_path(path).open("rb") as handle:
            token, written = pickle.load(handle)
        if token == snapshot.token:  # else left from before a newer snapshot was written
            changes = written
    for name, (entries, removed) in changes.items():
        table = tables[name]
        for key in removed:
            del table[key]
        table.update(entries)
    return tables, snapshot


def changes_since(tables: Tables, snapshot: Tables) -> Changes:
    """What differs from the snapshot; an entry counts as changed unless it is the very
    object loaded, so this costs one pass of identity checks, never a deep compare."""
    changes: Changes = {}
    for name, table in tables.items():
        before = snapshot.get(name, {})
        entries = {key: value for key, value in table.items() if before.get(key) is not value}
        changes[name] = (entries, set(before.keys() - table.keys()))
    return changes


def save(path: Path, version: str, tables: Tables, snapshot: Snapshot | None) -> Snapshot:
    """Write `tables`: only their changes since `snapshot` when they are few, else a new
    snapshot (returned, for the next save)."""
    if snapshot is not None:
        changes = changes_since(tables, snapshot.tables)
        changed = sum(len(entries) + len(removed) for entries, removed in changes.values())
        if changed <= SNAPSHOT_SHARE * sum(len(t) for t in snapshot.tables.values()):
            _replace(changes_path(path), (snapshot.token, changes))
            return snapshot
    token = secrets.token_hex(8)
    _replace(path, {"version": version, "token": token, "tables": tables})
    changes_path(path).unlink(missing_ok=True)  # meant for the snapshot just replaced
    return Snapshot(token, _copy(tables))  # the caller goes on changing `tables`


def _copy(tables: Tables) -> Tables:
    return {name: dict(table) for name, table in tables.items()}


def _replace(path: Path, value: object) -> None:
    """Write to a temporary file and rename it over `path`: a crash leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
