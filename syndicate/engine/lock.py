"""One publish of a site at a time.

Two publishes running together would share the staging folder and the build cache and
trip over each other; the second one waits for the first (an advisory `flock`, released
by the kernel even if the holder is killed).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = "publish.lock"


@contextmanager
def publish_lock(cache_dir: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the site's publish lock; `on_wait` runs once if another publish holds it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
