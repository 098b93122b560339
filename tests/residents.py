"""Resident publishers started by the tests: which one runs for a site, and waiting for
one to end (the CLI runs in-process, so the test process is its parent)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from syndicate.engine.daemon import socket_path


def resident_pid(config: Path) -> int | None:
    """The pid of the site's resident publisher, if one runs."""
    try:
        pid = int(socket_path(config).with_suffix(".lock").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid and _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our child (the CLI ran in-process)
            return False
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def gone(pid: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
