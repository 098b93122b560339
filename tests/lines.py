"""Reading a long-running `syndicate` process's output line by line, with a deadline."""

from __future__ import annotations

import queue
import threading
import time
from typing import IO


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
