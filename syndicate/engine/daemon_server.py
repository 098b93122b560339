"""The resident publisher behind `syndicate publish` (see `daemon`): a process that
answers one site's publishes, one after the other, through one `Resident`, and learns
what changed in between from the operating system, as `syndicate watch` does.

Run as `python -m syndicate.engine.daemon_server CONFIG MINUTES` by `start_resident`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import watchfiles

from ..config import Config, load_config
from ..errors import ContentError, SyndicateError
from ..outcome import PublishOutcome
from ..pipeline import When, publish, save_cache, when_idle
from .cache import Resident
from .daemon import DEFAULT_MINUTES, PROTOCOL, PublishRequest, socket_path
from .stamps import channels_stamp, own_code
from .watch import relevant, watched_folders

DEBOUNCE_MS, STEP_MS = 50, 2  # a batch of saves is handed on 2 ms after the last one
MARKER_SECONDS = 5.0  # the marker's event not back by then: look at every file
QUIET_SECONDS = 1.0  # without a request for this long, the daemon does its idle work


class NotWanted(Exception):
    """The config no longer asks for a resident publisher: it stops."""


def _answer_outcome(outcome: PublishOutcome, quiet: bool) -> dict[str, Any]:
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
        "pid": os.getpid(),
    }


def _answer_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ContentError):
        problems = [[str(p.path), p.message, p.line, p.severity] for p in exc.problems]
        return {"status": "problems", "problems": problems}
    if isinstance(exc, SyndicateError):
        return {"status": "error", "message": str(exc)}
    return {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}


class SavedPaths:
    """The paths saved since they were last taken, from the operating system, as
    `syndicate watch` gets them; and a way to know that every save made before a
    request is among them.

    The kernel queues a watcher's events in the order the changes happened. A request
    comes after every save its caller waited for, so the daemon creates a marker file of
    a new name in a folder of its own, watched along with the site's, once the request is
    in: when that name's event arrives, every earlier save's has too (without that, a
    save a moment before `syndicate publish` could miss its own publish). A new name each
    time, because a write can raise several events, and a late one of the last marker's
    must not pass for this one's.
    """

    def __init__(self, config: Config, markers: Path) -> None:
        self.config = config
        self.folders = watched_folders(config)
        markers.mkdir(mode=0o700, exist_ok=True)
        self.markers = markers.resolve()  # as the watcher names what is in it
        _remove_markers(markers)  # left by one that was killed
        self._config_stamp = _stamp(config.source)
        self._seen = threading.Condition()
        self._changed: set[str] = set()
        self._made = 0  # the number of the last marker made...
        self._arrived = 0  # ...and of the last whose event arrived
        self._alive = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="saved-paths", daemon=True)
        self._thread.start()
        # Its marker back: the folders are watched from here on (a walk after this misses
        # nothing; until then, one might).
        self.ready = self.take(config) is not None

    @property
    def alive(self) -> bool:
        return self._alive

    def _watch(self) -> None:
        markers = str(self.markers)
        try:
            for batch in watchfiles.watch(
                *self.folders,
                self.markers,
                watch_filter=None,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                raise_interrupt=False,
            ):
                with self._seen:
                    for _, path in batch:
                        folder, _, name = path.rpartition(os.sep)
                        if folder == markers:
                            self._arrived = max(self._arrived, _marker_number(name))
                        elif relevant(self.config, path):
                            self._changed.add(path)
                    self._seen.notify_all()
        finally:  # stopped, or the watch failed (too many folders): saves are not known
            with self._seen:
                self._alive = False
                self._seen.notify_all()

    def take(self, config: Config) -> list[str] | None:
        """Every path saved since the last `take`; None when that cannot be known
        (the watcher stopped, or its marker did not come back in time)."""
        self._made += 1
        wanted = self._made
        try:
            (self.markers / f"{MARKER}{wanted}").touch(exist_ok=False)
        except OSError:  # closed, or its folder removed
            return None
        with self._seen:
            arrived = self._seen.wait_for(
                lambda: self._arrived >= wanted or not self._alive, MARKER_SECONDS
            )
            if not (arrived and self._alive):
                return None
            changed, self._changed = self._changed, set()
        with contextlib.suppress(FileNotFoundError):
            (self.markers / f"{MARKER}{wanted - 1}").unlink()
        stamp = _stamp(config.source)
        if stamp != self._config_stamp:  # polled, as watch does: saved by renaming over it
            self._config_stamp = stamp
            changed.add(str(config.source))
        return sorted(changed)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        _remove_markers(self.markers)
        with contextlib.suppress(OSError):
            self.markers.rmdir()


MARKER = "mark-"


def _marker_number(name: str) -> int:
    number = name.removeprefix(MARKER)
    return int(number) if name.startswith(MARKER) and number.isdigit() else 0


def _remove_markers(folder: Path) -> None:
    for marker in folder.glob(f"{MARKER}*"):
        marker.unlink(missing_ok=True)


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return None if info is None else (info.st_ino, info.st_mtime_ns, info.st_size)


@dataclass
class KeptPublisher:
    """The site's publishes, one after the other, through one `Resident`."""

    config_path: Path
    markers: Path  # a folder of the daemon's own (see `SavedPaths`)
    resident: Resident | None = None
    key: tuple[object, ...] | None = None
    saved: SavedPaths | None = None  # from the first publish on
    # Every save since the resident's last publish is in `saved` (the publish notes
    # what it is handed: `Walks.note`).
    known: bool = False
    idle_work: bool = False
    warm_up: bool = False  # its first publish found nothing to do: go through the site
    idle_minutes: float = DEFAULT_MINUTES  # as the config said at the last publish

    def publish(self, request: PublishRequest) -> PublishOutcome:
        now = datetime.fromisoformat(request.now) if request.now else None
        if self.resident is None or self.key != request.resident_key():
            # Another output: what the last publishes learned is another site's. (An
            # earlier --now is fine: an edit is then built whole, see `edits`.)
            self.resident, self.key, self.known = Resident(), request.resident_key(), False
            self.resident.save_when_idle = True
        resident = self.resident
        self.idle_work = True
        try:
            config = load_config(self.config_path)
            minutes = config.file.publish.resident_minutes
            if not minutes and not request.explicit:
                raise NotWanted
            self.idle_minutes = minutes or DEFAULT_MINUTES
            changed = self._changed(config)
        except BaseException:
            self.known = False  # the saves taken were not handed to a publish
            raise
        outcome = publish(
            config,
            channels=request.channels,
            output_dir=Path(request.out) if request.out else None,
            include_drafts=request.drafts,
            force=request.force,
            resident=resident,
            when=When(now, request.future),
            strict=request.strict,
            changed=changed,
        )
        self.warm_up = outcome.skipped and resident.recorded is None
        return outcome

    def warm(self, request: PublishRequest) -> None:
        """After answering a first publish that had nothing to do: go through the whole
        site (writing nothing if nothing changed), so the next one finds it in memory,
        as `watch` does when it starts."""
        self.warm_up = False
        assert self.resident is not None
        now = datetime.fromisoformat(request.now) if request.now else None
        with contextlib.suppress(Exception):  # the next publish reports what is wrong
            publish(
                load_config(self.config_path),
                channels=request.channels,
                output_dir=Path(request.out) if request.out else None,
                include_drafts=request.drafts,
                resident=self.resident,
                when=When(now, request.future),
                strict=request.strict,
                changed=None,
                skip_if_unchanged=False,
            )

    def _changed(self, config: Config) -> list[str] | None:
        """The paths saved since the last publish; None: not known (the first publish,
        or the watcher cannot tell): the pipeline looks at every file."""
        saved = self.saved
        if saved is not None and (saved.folders != watched_folders(config) or not saved.alive):
            saved.close()  # a folder appeared or moved (watch the new ones), or it failed
            self.saved = None
        if self.saved is None:
            self.saved = SavedPaths(config, self.markers)
            self.known = self.saved.ready
            return None
        changed = self.saved.take(config)
        # A walk made after a take that came back misses nothing from then on.
        known, self.known = self.known, changed is not None
        return changed if known else None

    def when_idle(self) -> None:
        if self.idle_work and self.resident is not None:
            self.idle_work = False
            when_idle(self.resident)

    def close(self) -> None:
        if self.saved is not None:
            self.saved.close()
        if self.resident is not None:
            save_cache(self.resident)


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


@dataclass
class Daemon:
    config_path: Path
    minutes: float  # without a request, until the first publish reads the config
    stopping: bool = False
    publisher: KeptPublisher = field(init=False)

    def __post_init__(self) -> None:
        markers = socket_path(self.config_path).with_suffix(".d")
        self.publisher = KeptPublisher(self.config_path, markers, idle_minutes=self.minutes)

    def serve(self) -> None:
        """Answer publishes until idle for the minutes the config says, stopped (SIGTERM),
        or stale (its code changed, or the config no longer asks for it)."""
        path = socket_path(self.config_path)
        lock_path = path.with_suffix(".lock")
        lock = _locked(lock_path)
        if lock is None:
            return  # another daemon serves this site
        with lock:
            lock.truncate(0)
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # left by one that was killed
            signal.signal(signal.SIGTERM, lambda *_: self._stop())
            code = code_identity()
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
                    server.bind(str(path))
                    server.listen(16)
                    server.settimeout(QUIET_SECONDS)
                    self._loop(server, code)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                self.publisher.close()
                with contextlib.suppress(FileNotFoundError):  # still locked: one starting
                    lock_path.unlink()  # now finds it gone, and leaves

    def _stop(self) -> None:
        self.stopping = True

    def _loop(self, server: socket.socket, code: object) -> None:
        last = time.monotonic()
        while not self.stopping:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                self.publisher.when_idle()
                if time.monotonic() - last > self.publisher.idle_minutes * 60:
                    return
                continue
            except InterruptedError:
                continue
            with conn:
                conn.settimeout(None)
                stale = _same_user(conn) and self._answer(conn, code)
            last = time.monotonic()
            if stale:
                return

    def _answer(self, conn: socket.socket, code: object) -> bool:
        """Publish one request and answer it; True if this daemon's code is stale."""
        with conn.makefile("rb") as incoming:
            raw = incoming.readline()
        if not raw:
            return False  # a client looking whether it listens yet
        try:
            message = json.loads(raw)
            if message.get("protocol") != PROTOCOL or code_identity() != code:
                conn.sendall(b'{"status": "stale"}\n')
                return True
            if message["config"] != str(self.config_path.resolve()):
                raise ValueError(f"this publisher serves {self.config_path}")
            request = PublishRequest(**message["request"])
            world = (message["env"], message["cwd"], message["umask"])
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(_answer_error(exc)).encode() + b"\n")
            return False
        try:
            with callers_world(*world):
                answer = _answer_outcome(self.publisher.publish(request), request.quiet)
        except NotWanted:
            with contextlib.suppress(OSError):
                conn.sendall(b'{"status": "not wanted"}\n')
            return True
        except Exception as exc:  # every failure goes back to the caller to print
            answer = _answer_error(exc)
        with contextlib.suppress(OSError):  # the caller gave up (Ctrl-C): output is live
            conn.sendall(json.dumps(answer).encode() + b"\n")
        conn.close()
        if self.publisher.warm_up:
            with contextlib.suppress(OSError), callers_world(*world):
                self.publisher.warm(request)
        return False


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


def main(argv: list[str]) -> None:
    config_path, minutes = Path(argv[0]), float(argv[1])
    Daemon(config_path, minutes).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
