"""Cheap change detection: fingerprints of values and (name, mtime, size) of files.

Kept free of heavy imports on purpose: a publish with nothing to do reads only this,
the config and the content folder's directory entries, so it finishes in a fraction
of a second even for 100,000 articles.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.util import find_spec
from operator import attrgetter
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from .. import __version__
from ..channel import channel_entry_points
from ..config import Config
from ..digests import fingerprint
from ..model import same_objects
from ..templating_paths import bundled_templates_dir
from ..writer import CHANGES_NAME, MANIFEST_NAME, interrupted, output_cache
from .filestamp import RACY_NS, file_digest
from .walks import Walks

STAMP_NAME = "inputs.fingerprint"


Racy = list[tuple[str, str]]  # (file, digest) of files whose stamps cannot vouch for them


def _files(folder: Path) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            yield os.path.join(root, name)


def _stamped(folder: str) -> list[tuple[str, int, int]]:
    """`_stat` of each of `_files(folder)`, in the same order, from the directory entries:
    no path joined in Python and no second look-up of the name (a third of a no-op
    publish of 100,000 articles went to `os.path.join` alone), and one list built in
    one loop (generators nested per folder cost as much again as the stat calls)."""
    found: list[tuple[str, int, int]] = []
    pending = [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as scan:
                entries = sorted(scan, key=_NAME)
        except OSError:  # gone, or not a folder: os.walk skips it too
            continue
        folders = []
        for entry in entries:
            if entry.is_dir():  # a link to a folder too, as os.walk counts it (not followed)
                if entry.name != "__pycache__" and not entry.is_symlink():
                    folders.append(entry.path)
                continue
            try:
                stat = entry.stat()
            except OSError:  # a dangling symlink (or a file gone): the reader names it
                found.append((entry.path, -1, -1))
                continue
            found.append((entry.path, stat.st_mtime_ns, stat.st_size))
        pending.extend(reversed(folders))  # depth first, in name order, as os.walk
    return found


_NAME = attrgetter("name")


def tree_stamp(folder: Path, walks: Walks | None = None) -> list[tuple[str, int, int]]:
    """(file, mtime, size) of every file below a folder: cheap for 100,000 files.

    `walks`: a resident publisher's last walks, brought up to date instead of walking
    again (unchanged stamps stay the very same objects).
    """
    if walks is None:
        return _stamped(str(folder))
    walk = lambda: _stamped(str(folder))  # noqa: E731
    return walks.walk(f"tree:{folder}", str(folder), walk, _restat)


STAMP_CHUNK = 1024  # stamps digested together: an edit digests one chunk again, not all


@dataclass(frozen=True, slots=True)
class _Chunk:
    stamps: list[tuple[str, int, int]]
    digest: str
    recent: list[tuple[str, int, int]]  # its stamps still racy then: the only ones now


_CHUNKS: WeakKeyDictionary[Walks, dict[str, tuple[int, list[_Chunk]]]] = WeakKeyDictionary()


def stamps_digest(folder: Path, racy: Racy, walks: Walks | None = None) -> str:
    """`tree_stamp` of a folder as one digest. Files changed in the last seconds go
    into `racy` with their digest, since their next edit may leave (mtime, size) as they
    are (see `filestamp`).

    Digested in chunks: a resident publisher's walk brought up to date keeps every
    unchanged stamp the same object, so only the chunks holding changed stamps are
    digested and searched for racy files again (at 100,000 articles, 0.07 s an edit).
    """
    taken = time.time_ns()
    stamps = tree_stamp(folder, walks)
    recent = taken - RACY_NS  # `vouches`, compared inline: once per file of the site
    memo = _CHUNKS.setdefault(walks, {}) if walks is not None else {}
    then, last = memo.get(str(folder), (recent, []))
    chunks: list[_Chunk] = []
    for at in range(0, len(stamps), STAMP_CHUNK):
        part = stamps[at : at + STAMP_CHUNK]
        old = last[len(chunks)] if len(chunks) < len(last) else None
        # Only stamps racy then can be now, unless the clock was set back since.
        if old is not None and then <= recent and same_objects(old.stamps, part):
            digest, candidates = old.digest, old.recent
        else:
            digest, candidates = fingerprint(part), part
        still = [stamp for stamp in candidates if stamp[1] >= recent]
        racy.extend((path, file_digest(path)) for path, _, _ in still)
        chunks.append(_Chunk(part, digest, still))
    memo[str(folder)] = (recent, chunks)
    return fingerprint(len(stamps), [chunk.digest for chunk in chunks])


def _stat(path: str) -> tuple[str, int, int]:
    try:
        stat = os.stat(path)
    except OSError:  # a dangling symlink (or a file gone): the reader names it
        return path, -1, -1
    return path, stat.st_mtime_ns, stat.st_size


def _restat(entry: tuple[Any, ...]) -> tuple[str, int, int] | None:
    path = entry[0]
    return _stat(path) if os.path.lexists(path) else None


def tree_digest(folder: Path) -> list[tuple[str, str]]:
    """(file, digest) of every file below a folder: for the few small files (templates,
    channel code) whose every edit must count, with no clock involved."""
    return [(path, file_digest(path)) for path in _files(folder)]


def templates_stamp(config: Config) -> str:
    return fingerprint(tree_digest(bundled_templates_dir()), tree_digest(config.root / "templates"))


def own_code() -> list[tuple[str, int, int]]:
    """syndicate's own code, by (file, mtime, size), as it is on disk now."""
    return _stamped(str(Path(__file__).parents[1]))


@cache
def code_stamp() -> list[tuple[str, int, int]]:
    """`own_code` once per process: a publish after the code changed (an upgrade that
    kept the version, a checkout) is no no-op."""
    return own_code()


def channels_stamp() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Installed channels and their code, found without importing them."""
    stamps = []
    for ep in channel_entry_points():
        module = ep.value.partition(":")[0]
        try:
            spec = find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec and spec.origin else None
        stamps.append((ep.name, ep.value, tree_digest(Path(origin).parent) if origin else []))
    return stamps


@dataclass(frozen=True)
class InputsStamp:
    """What a publish reads, as one fingerprint of (name, mtime, size) stamps, and the
    digests of the files whose stamps could not vouch for them (`filestamp`)."""

    fingerprint: str
    racy: tuple[tuple[str, str], ...] = ()


def sources_fingerprint(
    config: Config,
    channels: list[str] | None,
    out: Path,
    drafts: bool,
    future: bool = False,
    walks: Walks | None = None,
) -> InputsStamp:
    """Everything a publish reads, the output's manifest aside.

    Taken once, before reading: an edit saved while a publish runs then makes the next
    publish differ, instead of being recorded as published.
    """
    racy: Racy = []
    content = stamps_digest(config.content_dir, racy, walks)
    static = stamps_digest(config.static_dir, racy, walks)
    config_text = config.source.read_bytes() if config.source else b""
    whole = fingerprint(
        __version__, config_text, channels, str(out), drafts, content, static,
        templates_stamp(config), channels_stamp(), code_stamp(), *(["future"] if future else []),
    )  # fmt: skip
    return InputsStamp(whole, tuple(racy))


def inputs_fingerprint(config: Config, out: Path, sources: InputsStamp) -> InputsStamp:
    """`sources` plus the state of the output: equal to the last publish's means nothing to do."""
    # Inside the output: a changed output changes the manifest or its changes.
    whole = fingerprint(
        sources.fingerprint,
        out.is_dir(),
        *map(_stat_of, (out / MANIFEST_NAME, out / CHANGES_NAME)),
        interrupted(out),  # a commit cut short is finished even if no input changed
    )
    return InputsStamp(whole, sources.racy)


def unchanged_since_last_publish(
    config: Config, out: Path, stamp: InputsStamp, now: datetime
) -> bool:
    """The same stamps as the last publish, the same content in the files whose stamps
    could not vouch for them then, and no scheduled story due between then and `now`
    (nor `now` before then: a rehearsal with `--now` in the future is not the live site)."""
    try:
        path = output_cache(config.cache_dir, out) / STAMP_NAME
        last = json.loads(path.read_text(encoding="utf-8"))
        if last["fingerprint"] != stamp.fingerprint:
            return False
        if not _same_period(last.get("now"), last.get("due"), now):
            return False
        return all(file_digest(name) == digest for name, digest in last["racy"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _same_period(then: str | None, due: str | None, now: datetime) -> bool:
    """Whether `now` shows the same stories live as the publish at `then` did."""
    if then is not None and now < datetime.fromisoformat(then):
        return False
    return due is None or now < datetime.fromisoformat(due)


def next_change_recorded(config: Config, out: Path) -> datetime | None:
    """When the last publish said time alone changes the output next (None: never)."""
    try:
        path = output_cache(config.cache_dir, out) / STAMP_NAME
        due = json.loads(path.read_text(encoding="utf-8")).get("due")
        return datetime.fromisoformat(due) if due else None
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def remember_publish(
    config: Config,
    out: Path,
    stamp: InputsStamp,
    now: datetime | None = None,
    due: datetime | None = None,
) -> None:
    """What the next publish compares with; `due`: when the next scheduled story goes out."""
    path = output_cache(config.cache_dir, out) / STAMP_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "fingerprint": stamp.fingerprint,
        "racy": stamp.racy,
        "now": now.isoformat() if now else None,
        "due": due.isoformat() if due else None,
    }
    path.write_text(json.dumps(record), encoding="utf-8")


def _stat_of(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size
