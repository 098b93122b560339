"""The resident publisher behind `syndicate publish` (see `daemon`): a process that
answers one site's publishes, one after the other, through one `Resident`, and learns
what changed in between from the operating system, as `syndicate watch` does.

Run as `python -m syndicate.engine.daemon_server CONFIG MINUTES` by `start_resident`.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import watchfiles

from ..config import Config, load_config
from ..outcome import PublishOutcome
from ..pipeline import When, publish, save_cache, when_idle
from .cache import Resident
from .daemon import DEFAULT_MINUTES, PublishRequest, socket_path
from .door import (
    Incoming,
    Markers,
    Stale,
    accept,
    answer_error,
    answer_outcome,
    callers_world,
    code_identity,
    listening,
    read,
    send,
)
from .watch import relevant, watched_folders

DEBOUNCE_MS, STEP_MS = 50, 2  # a batch of saves is handed on 2 ms after the last one
MARKER_SECONDS = 5.0  # the marker's event not back by then: look at every file


class NotWanted(Exception):
    """The config no longer asks for a resident publisher: it stops."""


class SavedPaths:
    """The paths saved since they were last taken, from the operating system, as
    `syndicate watch` gets them; and a way to know that every save made before a
    request is among them.

    A request comes after every save its caller waited for: `take` makes a marker
    (`Markers`) and returns once its event is in, with every earlier save's.
    """

    def __init__(self, config: Config, markers: Path) -> None:
        self.config = config
        self.folders = watched_folders(config)
        self.markers = Markers(markers)
        self._config_stamp = _stamp(config.source)
        self._seen = threading.Condition()
        self._changed: set[str] = set()
        self._arrived = 0  # the number of the newest marker whose event arrived
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
        try:
            for batch in watchfiles.watch(
                *self.folders,
                self.markers.folder,
                watch_filter=None,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                raise_interrupt=False,
            ):
                newest, paths = self.markers.split(path for _, path in batch)
                with self._seen:
                    self._arrived = max(self._arrived, newest)
                    self._changed.update(path for path in paths if relevant(self.config, path))
                    self._seen.notify_all()
        finally:  # stopped, or the watch failed (too many folders): saves are not known
            with self._seen:
                self._alive = False
                self._seen.notify_all()

    def take(self, config: Config) -> list[str] | None:
        """Every path saved since the last `take`; None when that cannot be known
        (the watcher stopped, or its marker did not come back in time)."""
        wanted = self.markers.make()
        if wanted is None:  # closed
            return None
        with self._seen:
            arrived = self._seen.wait_for(
                lambda: self._arrived >= wanted or not self._alive, MARKER_SECONDS
            )
            if not (arrived and self._alive):
                return None
            changed, self._changed = self._changed, set()
        self.markers.done(wanted)
        stamp = _stamp(config.source)
        if stamp != self._config_stamp:  # polled, as watch does: saved by renaming over it
            self._config_stamp = stamp
            changed.add(str(config.source))
        return sorted(changed)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.markers.close()


def _stamp(path: Path | None) -> tuple[int, int, int] | None:
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return None if info is None else (info.st_ino, info.st_mtime_ns, info.st_size)


def _publish(
    config: Config, request: PublishRequest, resident: Resident, **options: Any
) -> PublishOutcome:
    """`pipeline.publish` of `request`, through `resident`."""
    return publish(
        config,
        channels=request.channels,
        output_dir=Path(request.out) if request.out else None,
        include_drafts=request.drafts,
        resident=resident,
        when=When(datetime.fromisoformat(request.now) if request.now else None, request.future),
        strict=request.strict,
        **options,
    )


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
        outcome = _publish(config, request, resident, changed=changed, force=request.force)
        self.warm_up = outcome.skipped and resident.recorded is None
        return outcome

    def warm(self, request: PublishRequest) -> None:
        """After answering a first publish that had nothing to do: go through the whole
        site (writing nothing if nothing changed), so the next one finds it in memory,
        as `watch` does when it starts."""
        self.warm_up = False
        assert self.resident is not None
        with contextlib.suppress(Exception):  # the next publish reports what is wrong
            config = load_config(self.config_path)
            _publish(config, request, self.resident, changed=None, skip_if_unchanged=False)

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
        with listening(self.config_path) as server:
            if server is None:
                return  # another process serves this site
            signal.signal(signal.SIGTERM, lambda *_: self._stop())
            try:
                self._loop(server, code_identity())
            finally:
                self.publisher.close()

    def _stop(self) -> None:
        self.stopping = True

    def _loop(self, server: socket.socket, code: object) -> None:
        last = time.monotonic()
        while not self.stopping:
            conn = accept(server)
            if conn is None:
                self.publisher.when_idle()
                if time.monotonic() - last > self.publisher.idle_minutes * 60:
                    return
                continue
            with conn:
                try:
                    incoming = read(conn, self.config_path, code)
                except Stale:
                    return
                if incoming is not None and not self._answer(conn, incoming):
                    return
            last = time.monotonic()

    def _answer(self, conn: socket.socket, incoming: Incoming) -> bool:
        """Publish one request and answer it; False if this daemon is to stop."""
        request = incoming.request
        try:
            with callers_world(*incoming.world):
                answer = answer_outcome(self.publisher.publish(request), request.quiet)
        except NotWanted:
            send(conn, {"status": "not wanted"})
            return False
        except Exception as exc:  # every failure goes back to the caller to print
            answer = answer_error(exc)
        send(conn, answer)
        conn.close()
        if self.publisher.warm_up:
            with contextlib.suppress(OSError), callers_world(*incoming.world):
                self.publisher.warm(request)
        return True


def main(argv: list[str]) -> None:
    config_path, minutes = Path(argv[0]), float(argv[1])
    Daemon(config_path, minutes).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
