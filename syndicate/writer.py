"""Writer: puts a complete build in place atomically, rewriting only changed files.

The new output is assembled in a staging folder beside the live one: unchanged files are
hard links to the live files (so their mtime and inode stay the same), changed files are
written fresh. Only when every file is there is the staging folder swapped with the live
one (an atomic `renameat2(RENAME_EXCHANGE)` on Linux). A crash or error at any point
before that leaves the previous output exactly as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import PublishError

MANIFEST_NAME = "manifest.json"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]  # new or changed files
    unchanged: int
    removed: tuple[str, ...]


def digest(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


def safe_relpath(path: str) -> str:
    """Reject output paths that would escape the output folder."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise PublishError(f"a channel tried to write outside the output folder: {path!r}")
    return pure.as_posix()


class StagedOutput:
    """Collects a build's files; `commit` swaps them in, `abort` throws them away."""

    def __init__(self, output_dir: Path, cache_dir: Path) -> None:
        self.output_dir = output_dir
        self.manifest_path = cache_dir / MANIFEST_NAME
        self.staging = output_dir.with_name(f".{output_dir.name}.staging")
        self.previous = _load_manifest(self.manifest_path, output_dir)
        self.files: dict[str, str] = {}
        self.written: list[str] = []
        self._made: set[Path] = set()
        recover(output_dir)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)

    def place(self, path: str, content: bytes) -> tuple[str, str, bool]:
        """Put one file in staging: (path, checksum, rewritten?). Safe in worker processes."""
        rel = safe_relpath(path)
        checksum = digest(content)
        target = self._target(rel)
        if self.previous.get(rel) == checksum and _link(self.output_dir / rel, target):
            return rel, checksum, False
        target.write_bytes(content)
        return rel, checksum, True

    def reuse(self, path: str, checksum: str) -> bool:
        """Carry a live file over unchanged, if it is what the last publish wrote."""
        if self.previous.get(path) != checksum:
            return False
        if not _link(self.output_dir / path, self._target(path)):
            return False
        self.record(path, checksum, False)
        return True

    def forget(self, rel: str) -> None:
        """Take back a file recorded earlier in this build."""
        self.files.pop(rel, None)
        (self.staging / rel).unlink(missing_ok=True)

    def record(self, rel: str, checksum: str, written: bool) -> None:
        if rel in self.files:
            raise PublishError(f"two channels or pages write the same file: {rel}")
        self.files[rel] = checksum
        if written:
            self.written.append(rel)

    def add(self, path: str, content: bytes) -> tuple[str, str]:
        rel, checksum, written = self.place(path, content)
        self.record(rel, checksum, written)
        return rel, checksum

    def _target(self, rel: str) -> Path:
        target = self.staging / rel
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        return target

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self) -> WriteReport:
        removed = tuple(sorted(set(self.previous) - set(self.files)))
        if not self.written and not removed and self.output_dir.is_dir():
            self.abort()  # nothing changed: leave the live folder (and every mtime) alone
            return WriteReport((), len(self.files), ())
        _fsync_tree(self.staging)
        swap_in(self.staging, self.output_dir)
        shutil.rmtree(self.staging, ignore_errors=True)  # now holds the previous output
        _save_manifest(self.manifest_path, self.output_dir, self.files)
        return WriteReport(tuple(self.written), len(self.files) - len(self.written), removed)


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
        return True
    except OSError:
        return False


def _load_manifest(path: Path, output_dir: Path) -> dict[str, str]:
    """Checksums of the live output, trusted only if the output folder is the one we wrote."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("output") != str(output_dir.resolve()) or not output_dir.is_dir():
            return {}
        return dict(data["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _save_manifest(path: Path, output_dir: Path, files: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"output": str(output_dir.resolve()), "files": files}), encoding="utf-8"
    )
    os.replace(tmp, path)


def _fsync_tree(root: Path) -> None:
    """Make the staged files durable before they go live (cheap: one sync of the fs)."""
    try:
        fd = os.open(root, os.O_RDONLY)
        try:
            os.syncfs(fd) if hasattr(os, "syncfs") else os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _renameat2_exchange(a: Path, b: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise PublishError(f"cannot swap {a} into {b}: {os.strerror(err)}")


def swap_in(staging: Path, live: Path) -> None:
    """Make `staging` the live folder; afterwards `staging` holds the old output."""
    if not live.exists():
        os.rename(staging, live)
        staging.mkdir()
        return
    if _renameat2_exchange(staging, live):
        return
    # Portable fallback: two renames, with `recover` repairing a crash between them.
    old = live.with_name(f".{live.name}.old")
    if old.exists():
        shutil.rmtree(old)
    os.rename(live, old)
    os.rename(staging, live)
    os.rename(old, staging)


def recover(live: Path) -> None:
    """Undo a fallback swap that was interrupted between its two renames."""
    old = live.with_name(f".{live.name}.old")
    if old.exists() and not live.exists():
        os.rename(old, live)
    elif old.exists():
        shutil.rmtree(old)
