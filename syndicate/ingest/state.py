"""What ingest remembers between runs, in `<state_dir>/ingest/state.json` (not the cache:
losing it would import every story again).

Per source: the validators of its last good fetch (conditional GET), when it was
fetched, when it may be fetched again (Retry-After), which entries it listed. Per entry,
keyed by the article's permanent id: the file it became and digests of what was
written, so an editor's change is never overwritten.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SyndicateError

VERSION = 1
INCOMING = ".incoming"  # beside an article: the source's version an editor has to merge


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class SourceState:
    url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: float = 0.0  # last fetch attempt that reached an answer
    not_before: float = 0.0  # Retry-After
    seen: list[str] = field(default_factory=list)  # uids the last good document listed


@dataclass
class EntryState:
    source: str
    entry_id: str
    path: str  # relative to the content folder
    written: str  # digest of the bytes last written to `path`
    received: str  # digest of the latest version the source sent
    published: str  # the date used (kept when the source gives none)
    incoming: str | None = None  # digest of `<path>.incoming`, when one was kept aside


@dataclass
class IngestState:
    sources: dict[str, SourceState] = field(default_factory=dict)
    entries: dict[str, EntryState] = field(default_factory=dict)

    def source(self, name: str) -> SourceState:
        return self.sources.setdefault(name, SourceState())

    def to_json(self) -> str:
        data = {
            "version": VERSION,
            "sources": {k: asdict(v) for k, v in sorted(self.sources.items())},
            "entries": {k: asdict(v) for k, v in sorted(self.entries.items())},
        }
        return json.dumps(data, ensure_ascii=False, indent=1)


def state_folder(state_dir: Path) -> Path:
    return state_dir / "ingest"


def load_state(state_dir: Path) -> IngestState:
    path = state_folder(state_dir) / "state.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return IngestState()
    except (OSError, ValueError) as exc:
        raise SyndicateError(f"{path}: unreadable ingest state ({exc}); fix or move it") from None
    try:
        return IngestState(
            {k: SourceState(**v) for k, v in data.get("sources", {}).items()},
            {k: EntryState(**v) for k, v in data.get("entries", {}).items()},
        )
    except TypeError as exc:
        raise SyndicateError(f"{path}: unexpected ingest state ({exc})") from None


def save_state(state_dir: Path, state: IngestState) -> None:
    folder = state_folder(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "state.json", state.to_json().encode("utf-8"))


def write_atomic(path: Path, data: bytes, *, new: bool = False) -> None:
    """Write beside the target, fsync, rename: readers see the old file or the new one.
    With `new`, the target must not exist yet (a hard link, not a rename, puts it in
    place), so a file an editor just made is never clobbered.

    The temporary name starts with "." so the content reader never takes it for an
    article."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if new:
            os.link(temp, path)  # FileExistsError if `path` appeared meanwhile
        else:
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


@contextmanager
def ingest_lock(state_dir: Path) -> Iterator[None]:
    """One ingest of a site at a time (a second would race on files and state)."""
    folder = state_folder(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "ingest.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
