"""Any sequence of edits published through a resident publisher ends where a cold build
starts.

The newsroom edits of `test_incremental_sequences` (bodies, headlines, dates, tags,
related lists, sections, new and removed articles, a template, a setting), plus broken
stories and a broken config that are mended again, each published at once with
`syndicate publish --resident`: one background process publishes them all. The live tree
must equal a `--force` build's made here, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from published import assert_same_output
from residents import gone, resident_pid
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

from syndicate.cli import cli


def through_resident(root: Path) -> int:
    """`syndicate publish --resident`: its exit code (1 while a file is broken)."""
    args = ["--config", str(root / "syndicate.yaml"), "publish", "--channels", CHANNELS]
    result = CliRunner().invoke(cli, [*args, "--resident"])
    assert result.exit_code in (0, 1), result.output
    assert (result.exit_code == 0) == ("by the resident publisher" in result.output), result.output
    return result.exit_code


def break_story(room: Newsroom, pick: int) -> None:
    slug = sorted(room.stories)[pick % len(room.stories)]
    path = room.root / "content" / room.stories[slug].section / f"{slug}.md"
    path.write_text("---\ntitle: [unclosed\n---\nBody\n", encoding="utf-8")
    assert through_resident(room.root) == 1
    room.write_story(slug)


def break_config(room: Newsroom) -> None:
    config = room.root / "syndicate.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\nnot: [valid\n", encoding="utf-8")
    assert through_resident(room.root) == 1
    room.write_config()


@PROCESS_SEQUENCES
@given(edits=BATCHES, breaks=BREAKS)
def test_edits_published_through_a_resident_publisher_match_a_cold_build(
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[list[tuple[Any, ...]]],
    breaks: list[int | str],
) -> None:
    root = tmp_path_factory.mktemp("newsroom")
    room = start(root)
    try:
        assert through_resident(root) == 0
        for number, batch in enumerate(edits):
            apply(room, batch)
            if number < len(breaks):
                broken = breaks[number]
                break_config(room) if broken == "config" else break_story(room, int(broken))
            assert through_resident(root) == 0
    finally:
        pid = resident_pid(root / "syndicate.yaml")
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            assert gone(pid)
    publish(root, "--force", "--no-resident", "--out", str(root / "cold"))
    assert_same_output(root / "public", root / "cold")
    shutil.rmtree(root)
