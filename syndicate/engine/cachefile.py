"""The build cache on disk: a snapshot of every entry, plus the entries changed since.

After one edit a publish changes a handful of the tens of thousands of entries the cache
holds, and pickling them all again was a tenth of that publish. So a publish writes only
what differs from the last snapshot, into a second file, and writes a new snapshot once
those changes outgrow a share of it. Any file missing, damaged or from another version
makes the caller start cold: that costs time, never a wrong result.

The cache folder is not trusted: anyone who can write to it must not be able to run code
or put unchecked values into the output. So the files are plain data (msgpack, never
pickle), and each carries a keyed digest made with a key kept outside the cache folder
(`secret_key`); a file whose digest does not match is treated as missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import msgpack

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


def load(path: Path, version: str, key: bytes) -> tuple[Tables, Snapshot]:
    """The entries last saved, and their snapshot; raises if they cannot be read or were
    not written with `key` (the caller starts cold)."""
    head = read_signed(path, key)
    if head["version"] != version:
        raise ValueError(f"{path}: written by another version")
    snapshot = Snapshot(head["token"], head["tables"])
    tables = _copy(snapshot.tables)
    changes: Changes = {}
    with contextlib.suppress(FileNotFoundError):
        token, written = read_signed(changes_path(path), key)
        if token == snapshot.token:  # else left from before a newer snapshot was written
            changes = {name: (entries, set(removed)) for name, (entries, removed) in written}
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


def save(
    path: Path, version: str, tables: Tables, snapshot: Snapshot | None, key: bytes
) -> Snapshot:
    """Write `tables`: only their changes since `snapshot` when they are few, else a new
    snapshot (returned, for the next save)."""
    if snapshot is not None:
        changes = changes_since(tables, snapshot.tables)
        changed = sum(len(entries) + len(removed) for entries, removed in changes.values())
        if changed <= SNAPSHOT_SHARE * sum(len(t) for t in snapshot.tables.values()):
            written = [
                (name, (entries, list(removed))) for name, (entries, removed) in changes.items()
            ]
            _replace(changes_path(path), (snapshot.token, written), key)
            return snapshot
    token = secrets.token_hex(8)
    _replace(path, {"version": version, "token": token, "tables": tables}, key)
    changes_path(path).unlink(missing_ok=True)  # meant for the snapshot just replaced
    return Snapshot(token, _copy(tables))  # the caller goes on changing `tables`


def _copy(tables: Tables) -> Tables:
    return {name: dict(table) for name, table in tables.items()}


def _replace(path: Path, value: object, key: bytes) -> None:
    """Write to a temporary file and rename it over `path`: a crash leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = pack(value)
    tmp = path.with_name(f"{path.name}.tmp")
    tmp.write_bytes(_MAGIC + sign(key, data) + data)
    os.replace(tmp, path)


def read_signed(path: Path, key: bytes) -> Any:
    raw = path.read_bytes()
    # A view, not a copy: the file is tens of megabytes at 100,000 articles.
    head, mac, data = raw[: len(_MAGIC)], raw[len(_MAGIC) : _BODY], memoryview(raw)[_BODY:]
    if head != _MAGIC or not hmac.compare_digest(mac, sign(key, data)):
        raise ValueError(f"{path}: not written by this site's syndicate (or damaged)")
    return unpack(data)


_MAGIC = b"syndicate-cache-1\n"
_MAC_SIZE = 32
_BODY = len(_MAGIC) + _MAC_SIZE
KEY_NAME = "cache.key"


def secret_key(folder: Path) -> bytes:
    """The key the cache files are signed with, made on first use.

    It lives outside the cache folder (in the state folder), so whoever can write to the
    cache cannot sign what they put there.
    """
    path = folder / KEY_NAME
    with contextlib.suppress(FileNotFoundError):
        key = path.read_bytes()
        if len(key) == _MAC_SIZE:
            return key
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{KEY_NAME}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(_MAC_SIZE))
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)  # the first process to get here wins; the others read its key
    tmp.unlink()
    return path.read_bytes()


def sign(key: bytes, *parts: bytes | memoryview, person: bytes = b"") -> bytes:
    """A keyed BLAKE2b digest of `parts`, each length-prefixed so no two lists of parts
    sign alike; `person` (up to 16 bytes) keeps one kind of signed value from passing for
    another."""
    digest = hashlib.blake2b(key=key, digest_size=_MAC_SIZE, person=person)
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.digest()


def hasher(key: bytes, person: bytes) -> Callable[[bytes], hashlib.blake2b]:
    """Keyed BLAKE2b of one value (`hasher(key, person)(data).digest()`), all in C: `sign`
    costs a few times more per call, which tells when checking every row of the body
    store on each load. `person` keeps one kind of signed value from passing for another."""
    return partial(hashlib.blake2b, key=key, digest_size=_MAC_SIZE, person=person)


# msgpack has no dates and no tuples apart from lists. Records are tuples throughout
# (unpacked with use_list=False) and dates travel as extension types. Values whose types
# must come back exactly (front matter extras: lists, tuples, sets) use `pack_exact`.
_DATE, _DATETIME, _TUPLE, _SET = 1, 2, 3, 4


def _encode(value: Any) -> msgpack.ExtType:
    if isinstance(value, datetime):
        return msgpack.ExtType(_DATETIME, value.isoformat().encode())
    if isinstance(value, date):
        return msgpack.ExtType(_DATE, value.isoformat().encode())
    raise TypeError(f"cannot store {type(value).__name__} in the build cache")


def _encode_exact(value: Any) -> msgpack.ExtType:
    if isinstance(value, tuple):
        return msgpack.ExtType(_TUPLE, pack_exact(list(value)))
    if isinstance(value, set | frozenset):
        return msgpack.ExtType(_SET, pack_exact(list(value)))
    return _encode(value)


def _decode(code: int, data: bytes) -> Any:
    if code == _DATETIME:
        return datetime.fromisoformat(data.decode())
    if code == _DATE:
        return date.fromisoformat(data.decode())
    if code == _TUPLE:
        return tuple(unpack_exact(data))
    if code == _SET:
        return set(unpack_exact(data))
    raise ValueError(f"unknown extension type {code} in the build cache")


def pack(value: object) -> bytes:
    """Plain records: every sequence comes back as a tuple. Raises ValueError or
    OverflowError for what msgpack cannot hold (integers past 64 bits)."""
    return msgpack.packb(value, default=_encode, use_bin_type=True)  # type: ignore[no-any-return]


def unpack(data: bytes | memoryview) -> Any:
    return msgpack.unpackb(data, use_list=False, raw=False, ext_hook=_decode, strict_map_key=False)


def pack_exact(value: object) -> bytes:
    """Lists stay lists, tuples tuples and sets sets (`pack` makes them all tuples)."""
    return msgpack.packb(  # type: ignore[no-any-return]
        value, default=_encode_exact, use_bin_type=True, strict_types=True
    )


def unpack_exact(data: bytes) -> Any:
    return msgpack.unpackb(data, use_list=True, raw=False, ext_hook=_decode, strict_map_key=False)
