"""Writer: puts a complete build in place, rewriting only changed files.

Changed files are written to a staging folder beside the live one while the build runs;
the live folder is not touched until every channel has rendered, so any error before the
commit leaves the previous output exactly as it was. The commit then takes one of two
paths:

- few changes (the usual edit): each staged file is renamed over its live counterpart
  (atomic per file) and removed files are deleted, under a journal that the next run
  replays if the process died half-way;
- many changes (a cold or large build): unchanged files are hard-linked into staging
  (keeping their mtime and inode) and the two folders are exchanged in one atomic
  `renameat2(RENAME_EXCHANGE)`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import PublishError

MANIFEST_NAME = "manifest.json"
JOURNAL_NAME = "commit-journal.json"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]  # new or changed files
    unchanged: int
    removed: tuple[str, ...]


def output_cache(cache_dir: Path, output_dir: Path) -> Path:
    """Bookkeeping of one output folder: `publish --out` and previews keep their own."""
    key = hashlib.blake2b(str(output_dir.resolve()).encode(), digest_size=6).hexdigest()
    return cache_dir / "outputs" / key


def digest(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


def safe_relpath(path: str) -> str:
    """Reject output paths that would escape the output folder; normalise the rest."""
    if _plain_relpath(path):
        return path  # what PurePosixPath would give back, at a tenth of the cost
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise PublishError(f"a channel tried to write outside the output folder: {path!r}")
    return pure.as_posix()


def _plain_relpath(path: str) -> bool:
    """Already a normal relative POSIX path: no empty, "." or ".." part, no backslash."""
    return (
        bool(path)
        and path[0] != "/"
        and path[-1] != "/"
        and "\\" not in path
        and "//" not in path
        and all(part not in (".", "..") for part in path.split("/"))
    )


class StagedOutput:
    """Collects a build's changed files; `commit` puts them live, `abort` throws them away."""

    # Above this share of changed files, a whole-folder swap is cheaper than file renames.
    SWAP_SHARE = 0.3

    def __init__(self, output_dir: Path, cache_dir: Path) -> None:
        self.output_dir = output_dir
        bookkeeping = output_cache(cache_dir, output_dir)
        self.manifest_path = bookkeeping / MANIFEST_NAME
        self.journal = bookkeeping / JOURNAL_NAME
        self.staging = output_dir.with_name(f".{output_dir.name}.staging")
        recover(output_dir, self.journal, self.staging)
        self.previous = _load_manifest(self.manifest_path, output_dir)
        self.files: dict[str, str] = {}
        self.written: list[str] = []
        self._made: set[str] = set()
        self._staging_prefix = f"{self.staging}/"
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)

    def place(self, path: str, content: bytes) -> tuple[str, str, bool]:
        """Stage one file: (path, checksum, changed?). Safe in worker processes."""
        rel = safe_relpath(path)
        checksum = digest(content)
        if self.previous.get(rel) == checksum:
            return rel, checksum, False
        write_file(self._target(rel), content)
        return rel, checksum, True

    def reuse(self, path: str, checksum: str) -> bool:
        """Keep a live file as it is, if it is what the last publish wrote."""
        if self.previous.get(path) != checksum:
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

    def _target(self, rel: str) -> str:
        # Plain strings: pathlib's objects cost more than the system calls they wrap,
        # and a cold build stages tens of thousands of files.
        target = f"{self._staging_prefix}{rel}"
        parent = target.rpartition("/")[0]
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self) -> WriteReport:
        removed = tuple(sorted(set(self.previous) - set(self.files)))
        report = WriteReport(tuple(self.written), len(self.files) - len(self.written), removed)
        live = self.output_dir.is_dir()
        if live and not self.written and not removed:
            self.abort()  # nothing changed: leave the live folder (and every mtime) alone
            return report
        _fsync_tree(self.staging)
        changes = len(self.written) + len(removed)
        if live and changes <= self.SWAP_SHARE * max(len(self.files), 1):
            self._commit_in_place(removed)
        else:
            self._commit_swap(live)
        _save_manifest(self.manifest_path, self.output_dir, self.files)
        shutil.rmtree(self.staging, ignore_errors=True)
        return report

    def _commit_in_place(self, removed: tuple[str, ...]) -> None:
        _write_json(self.journal, {"moves": self.written, "removes": list(removed)})
        replay(self.output_dir, self.staging, self.written, removed)
        self.journal.unlink()

    def _commit_swap(self, live: bool) -> None:
        if live:
            for rel in self.files.keys() - set(self.written):
                if not _link(self.output_dir / rel, self._target(rel)):
                    raise PublishError(
                        f"{self.output_dir / rel}: missing from the live "
                        "output; run publish --force to rebuild everything"
                    )
        swap_in(self.staging, self.output_dir)


def replay(
    live: Path, staging: Path, moves: list[str], removes: list[str] | tuple[str, ...]
) -> None:
    """Apply an in-place commit; safe to run again after a crash (idempotent)."""
    for rel in moves:
        source = staging / rel
        if source.exists():
            (live / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, live / rel)
    for rel in removes:
        target = live / rel
        target.unlink(missing_ok=True)
        _prune_empty(target.parent, live)


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _link(source: Path, target: str | Path) -> bool:
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
    _write_json(path, {"output": str(output_dir.resolve()), "files": files})


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
    import ctypes  # only cold or large builds swap; ctypes.util costs ~10 ms to import
    import ctypes.util

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


def recover(live: Path, journal: Path, staging: Path) -> None:
    """Finish a commit that a crash interrupted, before anything else touches the output."""
    old = live.with_name(f".{live.name}.old")
    if old.exists() and not live.exists():  # fallback swap died between its renames
        os.rename(old, live)
    elif old.exists():
        shutil.rmtree(old)
    if journal.exists():
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            replay(live, staging, list(data["moves"]), list(data["removes"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PublishError(
                f"{journal}: cannot finish the interrupted publish ({exc}); "
                f"delete it and run publish --force"
            ) from None
        journal.unlink()


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC


def write_file(path: str | Path, content: bytes) -> None:
    """Path.write_bytes in half the system calls (no buffering, seek or ioctl probes).

    A publish writes tens of thousands of small files; on this kind of disk each
    system call counts.
    """
    fd = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
