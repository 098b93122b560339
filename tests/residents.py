"""Resident publishers started by the tests: which one runs for a site, and waiting for
one to end (the CLI runs in-process, so the test process is its parent)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from syndicate.engine.daemon import serving


def resident_pid(config: Path) -> int | None:
    """The pid of the site's resident publisher, if one runs (not a watch)."""
    found = serving(config)
    if found is None or found[1] != "resident publisher" or not _alive(found[0]):
        return None
    return found[0]


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
