"""The socket a resident publisher listens on, one per site: a `syndicate publish`'s
request in, what the publish did out (see `daemon` for the client's side). Shared by the
resident publisher `syndicate publish` starts (`daemon_server`) and by `syndicate watch`,
which answers a publish too while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import ContentError, SyndicateError
from ..outcome import PublishOutcome
from .daemon import PROTOCOL, PublishRequest, socket_path
from .stamps import channels_stamp, own_code

QUIET_SECONDS = 1.0  # how often a listener looks up from accepting (to stop, or idle)


class Stale(Exception):
    """This process's code is not the code on disk any more: the caller publishes."""


@dataclass(frozen=True)
class Incoming:
    """A publish asked for, and the caller's environment, folder and umask."""

    request: PublishRequest
    world: tuple[dict[str, str], str, int]


@contextlib.contextmanager
def listening(config_path: Path) -> Iterator[socket.socket | None]:
    """The site's socket, bound and listening for as long as this holds it (None: another
    process does). Its lock file and the socket go with it."""
    path = socket_path(config_path)
    lock_path = path.with_suffix(".lock")
    lock = _locked(lock_path)
    if lock is None:
        yield None
        return
    with lock:
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by one that was killed
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
                server.bind(str(path))
                server.listen(16)
                server.settimeout(QUIET_SECONDS)
                yield server
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            with contextlib.suppress(FileNotFoundError):  # still locked: one starting
                lock_path.unlink()  # now finds it gone, and leaves


def accept(server: socket.socket) -> socket.socket | None:
    """The next caller of this user; None when none came within `QUIET_SECONDS`."""
    try:
        conn, _ = server.accept()
    except (TimeoutError, InterruptedError):
        return None
    conn.settimeout(None)
    if not _same_user(conn):
        conn.close()
        return None
    return conn


def read(conn: socket.socket, config_path: Path, code: object) -> Incoming | None:
    """The request on `conn`; None when there is none to publish (a client looking
    whether it listens yet, or a bad request, answered). Raises `Stale` (answered)."""
    with conn.makefile("rb") as incoming:
        raw = incoming.readline()
    if not raw:
        return None
    try:
        message = json.loads(raw)
        if message.get("protocol") != PROTOCOL or code_identity() != code:
            send(conn, {"status": "stale"})
            raise Stale
        if message["config"] != str(config_path.resolve()):
            raise ValueError(f"this publisher serves {config_path}")
        request = PublishRequest(**message["request"])
        return Incoming(request, (message["env"], message["cwd"], message["umask"]))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        send(conn, answer_error(exc))
        return None


def send(conn: socket.socket, answer: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the caller gave up (Ctrl-C): output is live
        conn.sendall(json.dumps(answer).encode() + b"\n")


def answer_outcome(
    outcome: PublishOutcome, quiet: bool, by: str = "the resident publisher"
) -> dict[str, Any]:
    w = outcome.write
    rows = [] if quiet else [list(row.__dict__.values()) for row in outcome.by_channel]
    return {
        "status": "published",
        "articles": outcome.articles,
        "drafts_skipped": outcome.drafts_skipped,
        "channels": outcome.channels,
        "written": w.written,
        "unchanged": w.unchanged,
        "removed": w.removed,
        "output_dir": str(outcome.output_dir),
        "reused": outcome.reused,
        "skipped": outcome.skipped,
        "warnings": [] if quiet else list(outcome.warnings),
        "next_change": outcome.next_change.isoformat() if outcome.next_change else None,
        "by_channel": rows,
        "by": f"{by} (pid {os.getpid()})",
    }


def answer_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ContentError):
        problems = [[str(p.path), p.message, p.line, p.severity] for p in exc.problems]
        return {"status": "problems", "problems": problems}
    if isinstance(exc, SyndicateError):
        return {"status": "error", "message": str(exc)}
    return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}


def code_identity() -> object:
    """syndicate's and the installed channels' code as it is on disk now."""
    return own_code(), channels_stamp()


@contextlib.contextmanager
def callers_world(env: dict[str, str], cwd: str, umask: int) -> Iterator[None]:
    """The caller's environment (`${VAR}`s in the config, secrets read on use), working
    folder and umask for the length of one publish."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_mask = os.umask(umask)
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        yield
    finally:
        os.umask(saved_mask)
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def _locked(path: Path) -> IO[str] | None:
    """The lock file, locked by this process; None if another holds it, or removed it
    on its way out between our opening and locking it (the next start takes it)."""
    lock = open(path, "a+")  # noqa: SIM115 - held for the daemon's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(path).st_ino == os.fstat(lock.fileno()).st_ino:
            return lock
    except (BlockingIOError, FileNotFoundError):
        pass
    lock.close()
    return None


def _same_user(conn: socket.socket) -> bool:
    """Whether the caller runs as this user: the socket's folder lets nobody else in,
    and the kernel's word on the caller is checked as well."""
    if not hasattr(socket, "SO_PEERCRED"):  # not Linux: the folder's permissions alone
        return True
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    uid: int = struct.unpack("3i", credentials)[1]
    return uid == os.getuid()


class Markers:
    """Marker files in a folder of their own, watched beside a site's folders: how a
    resident publisher knows that every save made before a request has reached it.

    The kernel queues one watcher's events in the order the changes happened. A request
    comes after every save its caller waited for, so once the request is in, a marker is
    made; when its event arrives, every earlier save's has too. Each marker has a new
    name, because one write can raise several events, and a late one of the last
    marker's must not pass for this one's.
    """

    PREFIX = "mark-"

    def __init__(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        self.folder = folder.resolve()  # as the watcher names what is in it
        for left in self.folder.glob(f"{self.PREFIX}*"):  # by one that was killed
            left.unlink(missing_ok=True)
        self.made = 0

    def make(self) -> int | None:
        """A new marker's number; None if the folder is gone (closed)."""
        self.made += 1
        try:
            (self.folder / f"{self.PREFIX}{self.made}").touch(exist_ok=False)
        except OSError:
            return None
        return self.made

    def done(self, number: int) -> None:
        """Marker `number` came back: the one before it is no longer waited for."""
        (self.folder / f"{self.PREFIX}{number - 1}").unlink(missing_ok=True)

    def split(self, paths: Iterable[str]) -> tuple[int, list[str]]:
        """(the newest marker among a batch's paths, 0 if none; the other paths)."""
        folder, newest, others = str(self.folder), 0, []
        for path in paths:
            parent, _, name = path.rpartition(os.sep)
            if parent != folder:
                others.append(path)
            elif name.startswith(self.PREFIX) and name[len(self.PREFIX) :].isdigit():
                newest = max(newest, int(name[len(self.PREFIX) :]))
        return newest, others

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
