"""`syndicate publish` answered by a running `syndicate watch`.

Without this, a publish run while watch runs (a script, cron, an editor's habit) would
wait for watch's publish lock and then go through the whole site in a new process
(~20 s at 100,000 articles), only to publish what watch had published already. Watch
listens on the site's socket instead (`door`), as the resident publisher `syndicate
publish` starts would, and answers a publish of the output it publishes: it waits until
every save made before the request has been through its loop, then says what the
publishes since the request did, or that nothing changed.

The wait uses the same marker as `daemon_server.SavedPaths`: a file of a new name, in a
folder watch's watcher watches too; the kernel queues events in order, so once watch's
loop has handled the batch with the marker's event, it has handled every save made
before it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import SyndicateError
from ..outcome import PublishOutcome, WriteReport
from .daemon import PublishRequest, socket_path
from .door import (
    Incoming,
    Markers,
    Stale,
    accept,
    answer_error,
    answer_outcome,
    code_identity,
    listening,
    read,
    send,
)

CLOCK_SLACK_S = 60  # a publish `--now` further from the clock than this is a rehearsal
BY = "syndicate watch"


@dataclass
class LastPublish:
    """What watch's publishes did: how many there were, and the last one's outcome or
    the error that stopped it."""

    count: int = 0
    outcome: PublishOutcome | None = None
    error: SyndicateError | None = None

    def record(self, outcome: PublishOutcome | None, error: SyndicateError | None) -> None:
        self.count += 1
        self.outcome, self.error = outcome, error


@dataclass
class Answers:
    """The publishes asked of a running watch, answered once its loop caught up."""

    config_path: Path
    same_output: Callable[[PublishRequest], bool]  # what this watch publishes
    last: LastPublish
    stop: threading.Event
    markers: Markers = field(init=False)
    _seen: int = 0  # the newest marker among the events of the batch under way
    _handled: int = 0  # the newest marker whose batch watch's loop is done with
    _caught_up: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    _published: dict[str, Any] | None = None  # the answer for the last publish, if asked

    def __post_init__(self) -> None:
        # A folder of this process's own: watched from the start, gone with it (or, if
        # it was killed, with the next watch's start).
        runtime = socket_path(self.config_path).parent
        _remove_orphans(runtime)
        self.markers = Markers(Path(tempfile.mkdtemp(prefix=f"watch-{os.getpid()}-", dir=runtime)))

    # --- watch's loop --------------------------------------------------------------

    def take_markers(self, paths: Iterable[str]) -> list[str]:
        """The paths of a batch that are not markers; the markers' are noted."""
        newest, others = self.markers.split(paths)
        self._seen = max(self._seen, newest)
        return others

    def waiting(self) -> bool:
        """Whether a publish asked for waits for the batch under way."""
        return self._seen > self._handled

    def handled(self) -> None:
        """Watch's loop is done with the batch: published it, or had nothing to. The
        answer is put together here, in the loop's thread: counting the files by channel
        reads the output lists the loop's next publish changes."""
        with self._caught_up:
            if self.waiting() and self.last.outcome is not None:
                self._published = answer_outcome(self.last.outcome, False, BY)
            self._handled = self._seen
            self._caught_up.notify_all()

    # --- the socket --------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve, name="answers", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop answering (`stop` is set) and let go of the socket, its lock and markers."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.markers.close()

    def serve(self) -> None:
        """Answer publishes until `stop`. If another process holds the site's socket (a
        resident publisher), it answers them instead."""
        with listening(self.config_path) as server:
            if server is None:
                return
            code = code_identity()
            while not self.stop.is_set():
                conn = accept(server)
                if conn is None:
                    continue
                with conn:
                    try:
                        incoming = read(conn, self.config_path, code)
                    except Stale:  # watch keeps its code: the caller publishes itself
                        continue
                    if incoming is not None:
                        send(conn, self._answer(incoming))

    def _answer(self, incoming: Incoming) -> dict[str, Any]:
        request = incoming.request
        if not self._watched(request):
            return {"status": "not watched"}  # another output, or --force: publish there
        before = self.last.count
        wanted = self.markers.make()
        if wanted is None:
            return {"status": "stopping"}
        with self._caught_up:
            while self._handled < wanted:
                if self.stop.is_set():
                    return {"status": "stopping"}
                self._caught_up.wait(1.0)
            count, error, published = self.last.count, self.last.error, self._published
        self.markers.done(wanted)
        if error is not None:  # still broken: as a publish here would fail
            return answer_error(error)
        if count > before and published is not None:
            return published
        return answer_outcome(self._nothing_new(request), request.quiet, BY)

    def _watched(self, request: PublishRequest) -> bool:
        now = datetime.fromisoformat(request.now) if request.now else datetime.now(UTC)
        rehearsal = abs((now - datetime.now(UTC)).total_seconds()) > CLOCK_SLACK_S
        return self.same_output(request) and not (request.force or request.strict or rehearsal)

    def _nothing_new(self, request: PublishRequest) -> PublishOutcome:
        done = self.last.outcome
        out = done.output_dir if done else Path(request.out or ".")
        due = done.next_change if done else None
        return PublishOutcome(0, 0, request.channels or [], WriteReport((), 0, ()), out,
                              skipped=True, next_change=due)  # fmt: skip


def _remove_orphans(runtime: Path) -> None:
    """Marker folders of watches that are gone (killed: nothing else leaves one)."""
    for folder in runtime.glob("watch-*-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True
