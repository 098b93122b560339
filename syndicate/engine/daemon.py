"""A resident publisher that `syndicate publish` hands its publishes to.

A new process cannot know what the last publish learned without doing per-article work
for the whole site again: ~2 s at 10,000 articles, ~20 s at 100,000. With
`publish.resident_minutes` set (or `publish --resident`), the first publish starts a
background process that publishes and then stays, keeping the site in memory as
`syndicate watch` does; the next `syndicate publish` of the same site asks it to publish
instead, and it publishes only what changed since. It exits after that many minutes
without a request (or on SIGTERM), and whenever syndicate's or a channel's code changed.
This is Gradle's daemon and dmypy's server, not a new engine: the publish it runs is the
very pipeline the CLI would run (same lock, same writer, same hooks), with the caller's
environment, working folder and umask.

What changed since its last publish it learns from the operating system, as `watch`
does (`daemon_server.SavedPaths`), and hands to the pipeline as a watcher's changed
paths are; a save made just before `syndicate publish` is waited for, not missed.

The socket lives in a folder only this user may enter (`$TMPDIR/syndicate-<uid>/`), named
by the site's config file and the Python and syndicate that run it. Requests and answers
are one JSON document each: nothing code-bearing is ever read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import ContentError, Problem, SyndicateError, Warnings
from ..outcome import ChannelCount, PublishOutcome, WriteReport

if TYPE_CHECKING:
    from ..config import Config

PROTOCOL = 1
DEFAULT_MINUTES = 15.0  # how long one started by `--resident` alone stays
START_SECONDS = 30.0  # how long a client waits for a daemon it started to listen


POLL_SECONDS = 1.0  # how often a caller waiting for an answer looks at the listener


class ResidentUnavailable(Exception):
    """No resident publisher answered; the caller publishes in its own process."""


class ResidentStopped(ResidentUnavailable):
    """The process that answers the site's publishes is stopped (Ctrl-Z, SIGSTOP): the
    caller publishes in its own process, once the publish lock is free."""


@dataclass(frozen=True)
class PublishRequest:
    """One `syndicate publish`, as its options were given (paths absolute)."""

    channels: list[str] | None = None
    out: str | None = None
    drafts: bool = False
    future: bool = False
    force: bool = False
    now: str | None = None  # ISO 8601
    strict: bool = False
    quiet: bool = False  # no table nor warnings needed back
    explicit: bool = False  # `--resident`: kept even when the config does not ask for one

    def resident_key(self) -> tuple[object, ...]:
        """Requests whose publishes one resident may follow: the same output of the
        same channels (a preview with drafts is another site)."""
        return (tuple(self.channels or ()), self.channels is None, self.out, self.drafts,
                self.future)  # fmt: skip


# --- where a site's daemon listens ----------------------------------------------------


def runtime_folder() -> Path:
    """`$TMPDIR/syndicate-<uid>`, made private; refused if someone else could write it."""
    folder = Path(tempfile.gettempdir()) / f"syndicate-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ResidentUnavailable(f"{folder} is not a private folder of this user")
    return folder


def socket_path(config_path: Path) -> Path:
    """One socket per site and installation (a socket path holds at most 107 bytes,
    so it is named by a digest rather than by the site's folder)."""
    identity = "\0".join(
        (str(config_path.resolve()), sys.executable, str(Path(__file__).resolve()), __version__)
    )
    name = hashlib.blake2b(identity.encode(), digest_size=12).hexdigest()
    return runtime_folder() / f"{name}.sock"


def serving(config_path: Path) -> tuple[int, str] | None:
    """(pid, what it is) of the process answering the site's publishes, if one runs:
    "resident publisher" or "syndicate watch"."""
    try:
        pid = int(socket_path(config_path).with_suffix(".lock").read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, ResidentUnavailable):
        return None
    if b"syndicate.engine.daemon_server" in command:
        return pid, "resident publisher"
    return (pid, "syndicate watch") if b"watch" in command else None


# --- the client: `syndicate publish` -----------------------------------------------------


def ask_resident(config_path: Path, request: PublishRequest) -> PublishOutcome:
    """The outcome of `request` published by the site's resident publisher. Raises what
    the publish raised (`ContentError`, ...), or `ResidentUnavailable` when none runs
    (or it stopped: its code changed, or the config no longer asks for one)."""
    return _ask(socket_path(config_path), config_path, request)


def _ask(path: Path, config_path: Path, request: PublishRequest) -> PublishOutcome:
    message = {
        "protocol": PROTOCOL,
        "config": str(config_path.resolve()),
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": _umask(),
        "request": request.__dict__,
    }
    listener = serving(config_path)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            conn.sendall(json.dumps(message).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            raw = _answer_line(conn, listener[0] if listener else None)
    except OSError as exc:  # none listening, or it died mid-publish (the lock and the
        raise ResidentUnavailable(str(exc)) from None  # writer's journal keep output whole)
    try:
        answer = json.loads(raw)
    except ValueError:  # nothing (it died mid-publish), or not an answer
        raise ResidentUnavailable("the resident publisher closed without an answer") from None
    return _outcome_from(answer)


def _answer_line(conn: socket.socket, pid: int | None) -> bytes:
    """The answer's line. A publish may take its time (a first one, ~20 s at 100,000
    articles), but a listener that is stopped (Ctrl-Z on `syndicate watch`, SIGSTOP)
    would keep the caller waiting for ever: it is looked at every `POLL_SECONDS`."""
    conn.settimeout(POLL_SECONDS)
    chunks: list[bytes] = []
    while not chunks or not chunks[-1].endswith(b"\n"):
        try:
            chunk = conn.recv(1 << 16)
        except TimeoutError:
            if pid is not None and _stopped(pid):
                raise ResidentStopped(
                    f"the process answering this site's publishes (pid {pid}) is stopped"
                ) from None
            continue
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _stopped(pid: int) -> bool:
    """Whether process `pid` is stopped (state T) or stopped by a tracer (t)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone: its end of the socket closes, or not Linux
        return False
    return stat.rpartition(")")[2].split()[:1] in (["T"], ["t"])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def start_resident(config: Config, minutes: float) -> None:
    """Start the site's resident publisher in a session of its own, staying `minutes`
    without a request, and wait until it listens (or exits: another one won the race)."""
    assert config.source is not None
    config_path = config.source
    path = socket_path(config_path)
    log_folder = config.cache_dir
    log_folder.mkdir(parents=True, exist_ok=True)
    # The syndicate this process runs, wherever it was imported from (a checkout too).
    here = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH")))),
    }
    with open(log_folder / "resident.log", "ab") as log:
        command = [sys.executable, "-m", "syndicate.engine.daemon_server"]
        process = subprocess.Popen(
            [*command, str(config_path.resolve()), str(minutes)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not stopped by the terminal's Ctrl-C
            close_fds=True,
            cwd="/",  # each publish runs in its caller's folder; this one may go away
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and not _listening(path):
        if process.poll() is not None:  # it exited: another one won the race, or it failed
            return
        time.sleep(0.01)


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:  # not yet, or a socket left by a daemon that was killed
            return False
    return True


# --- answers --------------------------------------------------------------------------


def _outcome_from(answer: dict[str, Any]) -> PublishOutcome:
    status = answer.get("status")
    if status == "problems":
        raise ContentError([Problem(p, m, line, severity) for p, m, line, severity
                            in answer["problems"]])  # fmt: skip
    if status == "error":
        raise SyndicateError(answer["message"])
    if status == "failed":
        raise SyndicateError(f"the resident publisher failed: {answer['message']}")
    if status != "published":  # "stale": its code is not ours any more, and it stopped
        raise ResidentUnavailable(str(status))
    rows = [ChannelCount(*row) for row in answer["by_channel"]]
    due = answer["next_change"]
    write = WriteReport(tuple(answer["written"]), answer["unchanged"], tuple(answer["removed"]))
    return PublishOutcome(
        articles=answer["articles"],
        drafts_skipped=answer["drafts_skipped"],
        channels=answer["channels"],
        write=write,
        output_dir=Path(answer["output_dir"]),
        reused=answer["reused"],
        skipped=answer["skipped"],
        warnings=Warnings(lines=answer["warnings"]),
        next_change=datetime.fromisoformat(due) if due else None,
        counts=lambda: rows,
        served_by=answer["by"],
    )
