"""A long-running `syndicate` process (watch, serve) and its output, line by line."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def running(config: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """`syndicate --config CONFIG ARGS...` in the site folder, killed if still running."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=config.parent,
    )
    assert process.stdout is not None
    try:
        yield process, lines_of(process.stdout)
    finally:
        if process.poll() is None:  # stopped as systemd would: it lets go of its socket
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def lines_of(stream: IO[str]) -> queue.Queue[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def wait_for(condition_text: str, lines: queue.Queue[str], seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if condition_text in line:
            return line
    raise AssertionError(f"never printed {condition_text!r}; got: {''.join(seen)}")
