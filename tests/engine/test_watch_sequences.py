"""Any sequence of edits saved while `syndicate watch` runs ends where a cold build starts.

The same newsroom edits as `test_incremental_sequences` (bodies, headlines, dates, tags,
related lists, sections, new and removed articles, a template, a setting), plus broken
files that are fixed again, saved while one `watch` process publishes them as they come.
After the last one settles, the live tree must equal a `--force` build's, byte for byte.
"""

from __future__ import annotations

import queue
import shutil
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from lines import running, wait_for
from published import assert_same_output
from test_incremental_sequences import (
    BATCHES,
    BREAKS,
    CHANNELS,
    PROCESS_SEQUENCES,
    Newsroom,
    apply,
    publish,
    start,
)

from syndicate.config import load_config
from syndicate.engine.stamps import (
    inputs_fingerprint,
    sources_fingerprint,
    unchanged_since_last_publish,
)


def published(root: Path, seconds: float = 60) -> None:
    """Until the last publish recorded the content as it is now (what the no-op check
    compares): every edit saved so far is live. No sleep can know that on a busy machine."""
    config = load_config(root / "syndicate.yaml")
    out = config.output_folder(None)
    channels = CHANNELS.split(",")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sources = sources_fingerprint(config, channels, out, False, False)
        inputs = inputs_fingerprint(config, out, sources)
        if unchanged_since_last_publish(config, out, inputs, datetime.now(UTC)):
            return
        time.sleep(0.1)
    raise AssertionError("watch never published the last edits")


def break_and_fix(room: Newsroom, lines: queue.Queue[str], pick: int | str) -> None:
    """Save a story (or the config) as invalid YAML, let watch report it, then save it
    whole again."""
    if pick == "config":
        config = room.root / "syndicate.yaml"
        config.write_text(config.read_text("utf-8") + "\nnot: [valid\n", encoding="utf-8")
        wait_for("syndicate.yaml", lines)
        room.write_config()
        return
    assert isinstance(pick, int)
    slug = sorted(room.stories)[pick % len(room.stories)]
    path = room.root / "content" / room.stories[slug].section / f"{slug}.md"
    path.write_text("---\ntitle: [unclosed\n---\nBody\n", encoding="utf-8")
    # Named within a minute (not "before watch falls quiet": a batch that added the
    # site's first templates/ restarts the watcher, a second without a word).
    wait_for(f"{slug}.md", lines)
    room.write_story(slug)


@PROCESS_SEQUENCES
@given(edits=BATCHES, breaks=BREAKS)
def test_edits_saved_while_watch_runs_match_a_cold_build(
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[list[tuple[Any, ...]]],
    breaks: list[int | str],
) -> None:
    root = tmp_path_factory.mktemp("newsroom")
    room = start(root)
    with running(root / "syndicate.yaml", "watch", "--channels", CHANNELS) as (watch, lines):
        wait_for("watching content", lines)
        for number, batch in enumerate(edits):
            apply(room, batch)
            if number < len(breaks):
                time.sleep(0.2)  # the batch may be published first, or with the breakage
                break_and_fix(room, lines, breaks[number])
            published(root)
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(30) == 0
    publish(root, "--force", "--out", str(root / "cold"))
    assert_same_output(root / "public", root / "cold")
    shutil.rmtree(root)
