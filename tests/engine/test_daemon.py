"""`syndicate publish` handed to a resident publisher: a real background process on a real
socket, asked by the CLI, checked against a publish made here."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import html5lib
import pytest
from conftest import SiteFactory
from published import assert_same_output, feed_titles
from residents import gone, resident_pid

from syndicate.engine import door
from syndicate.engine.daemon import socket_path
from syndicate.engine.daemon_server import SavedPaths
from syndicate.engine.door import callers_world

CHANNELS = "html,feeds"


@pytest.fixture
def newsroom(site: SiteFactory) -> Iterator[SiteFactory]:
    site.section("finance", "Finance")
    for n in range(12):
        site.article("finance", f"story-{n}", f"Body {n}.\n",
                     published=f"2024-02-{n + 1:02d}T09:00:00+08:00")  # fmt: skip
    site.write_config()
    yield site
    pid = resident_pid(site.config_path)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        assert gone(pid), "the resident publisher did not stop on SIGTERM"


def publish(site: SiteFactory, *args: str) -> str:
    result = site.cli("publish", "--channels", CHANNELS, *args)
    assert result.exit_code == 0, result.output
    return result.output


def retitle(site: SiteFactory, n: int, title: str) -> None:
    site.article("finance", f"story-{n}", f"Body {n}.\n", title=title,
                 published=f"2024-02-{n + 1:02d}T09:00:00+08:00")  # fmt: skip


def headline(site: SiteFactory, n: int) -> str:
    page = site.root / "public/finance" / f"story-{n}/index.html"
    document = html5lib.parse(page.read_text("utf-8"), namespaceHTMLElements=False)
    return "".join(document.find(".//h1").itertext()).strip()


def test_publish_hands_every_edit_to_one_resident_publisher(newsroom: SiteFactory) -> None:
    site = newsroom
    first = publish(site, "--resident")
    pid = resident_pid(site.config_path)
    assert pid is not None and f"by the resident publisher (pid {pid})" in first
    # Saved and published at once, again and again: each publish has its own save.
    for round_ in range(6):
        retitle(site, round_, f"Harbour reopens, day {round_}")
        output = publish(site, "--resident")
        assert f"(pid {pid})" in output
        assert headline(site, round_) == f"Harbour reopens, day {round_}"
        assert f"Harbour reopens, day {round_}" in feed_titles(site.root)
    assert "nothing changed" in publish(site, "--resident")
    publish(site, "--force", "--no-resident", "--out", str(site.root / "cold"))
    assert_same_output(site.root / "public", site.root / "cold")


def test_problems_come_back_as_a_publish_here_prints_them(newsroom: SiteFactory) -> None:
    site = newsroom
    publish(site, "--resident")
    before = (site.root / "public/finance/story-3/index.html").read_bytes()
    site.raw("finance/story-3.md", "---\ntitle: [unclosed\n---\nBody\n")
    result = site.cli("publish", "--channels", CHANNELS, "--resident")
    assert result.exit_code == 1
    assert "error: finance/story-3.md:3: invalid YAML" in result.output
    assert "nothing was published" in result.output
    assert (site.root / "public/finance/story-3/index.html").read_bytes() == before
    retitle(site, 3, "Mended story")
    assert "by the resident publisher" in publish(site, "--resident")
    assert headline(site, 3) == "Mended story"


def test_a_killed_resident_publisher_is_replaced_and_nothing_is_lost(
    newsroom: SiteFactory,
) -> None:
    site = newsroom
    publish(site, "--resident")
    pid = resident_pid(site.config_path)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # its socket stays behind, nobody listening
    assert gone(pid)
    retitle(site, 5, "Ferry back on schedule")
    output = publish(site, "--resident")
    successor = resident_pid(site.config_path)
    assert successor not in (None, pid) and f"(pid {successor})" in output
    assert headline(site, 5) == "Ferry back on schedule"


def test_a_stopped_resident_publisher_does_not_keep_a_publish_waiting(
    newsroom: SiteFactory,
) -> None:
    """Ctrl-Z on the process that answers (or SIGSTOP): the caller notices within a
    second or two and publishes in its own process, instead of waiting for ever."""
    site = newsroom
    publish(site, "--resident")
    pid = resident_pid(site.config_path)
    assert pid is not None
    publish(site, "--resident")  # answered once its first look at the site is done
    time.sleep(3)  # its idle work (the cache saved under the publish lock) is done too
    retitle(site, 4, "Port strike ends")
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "syndicate", "--config", str(site.config_path),
             "publish", "--channels", CHANNELS, "--resident"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        waited = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert done.returncode == 0, done.stderr
    assert f"(pid {pid}) is stopped; publishing here" in done.stderr
    assert "by the resident publisher" not in done.stdout
    assert headline(site, 4) == "Port strike ends"
    assert waited < 60


def test_the_config_starts_one_and_stops_it(newsroom: SiteFactory) -> None:
    site = newsroom
    site.settings["publish"] = {"resident_minutes": 5}
    site.write_config()
    assert "by the resident publisher" in publish(site)
    pid = resident_pid(site.config_path)
    assert pid is not None
    site.settings["publish"] = {"resident_minutes": 0}
    site.write_config()
    retitle(site, 1, "Rates hold")
    output = publish(site)  # it declines and leaves; published here
    assert "resident" not in output and "published" in output
    assert gone(pid)
    assert headline(site, 1) == "Rates hold"


def test_a_resident_publisher_leaves_when_idle_and_saves_its_cache(
    newsroom: SiteFactory,
) -> None:
    site = newsroom
    site.settings["publish"] = {"resident_minutes": 0.02}  # 1.2 s
    site.write_config()
    publish(site)
    pid = resident_pid(site.config_path)
    assert pid is not None
    assert gone(pid)
    assert not socket_path(site.config_path).exists()
    assert "nothing changed" in publish(site, "--no-resident")  # its cache and stamps


def test_an_edit_while_the_config_is_broken_is_published_once_it_is_mended(
    newsroom: SiteFactory,
) -> None:
    site = newsroom
    publish(site, "--resident")
    good = site.config_path.read_text()
    site.config_path.write_text(good + "\nnot: [valid\n")
    retitle(site, 7, "Edited while the config was broken")
    result = site.cli("publish", "--channels", CHANNELS, "--resident")
    assert result.exit_code == 1 and "syndicate.yaml" in result.output
    site.config_path.write_text(good)
    publish(site, "--resident")
    assert headline(site, 7) == "Edited while the config was broken"


def test_a_resident_publisher_whose_code_changed_declines_and_stops(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.write_config()
    ours, caller = socket.socketpair()
    request = {"protocol": 1, "config": str(site.config_path), "cwd": str(site.root),
               "env": {}, "umask": 0o22, "request": {}}  # fmt: skip
    caller.sendall(json.dumps(request).encode() + b"\n")
    caller.shutdown(socket.SHUT_WR)
    monkeypatch.setattr(door, "code_identity", lambda: "upgraded")
    with pytest.raises(door.Stale):
        door.read(ours, site.config_path, code="as started")
    ours.close()
    assert json.loads(caller.makefile("rb").readline()) == {"status": "stale"}


def test_a_publish_runs_in_the_callers_environment_folder_and_umask(tmp_path: Path) -> None:
    before = (dict(os.environ), os.getcwd())
    with callers_world({"SITE_TOKEN": "abc"}, str(tmp_path), 0o077):
        assert dict(os.environ) == {"SITE_TOKEN": "abc"}
        assert os.getcwd() == str(tmp_path)
        (tmp_path / "made").write_text("x")
    assert (dict(os.environ), os.getcwd()) == before
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o600


def test_one_resident_publisher_follows_other_outputs_and_times_exactly(
    newsroom: SiteFactory,
) -> None:
    site = newsroom
    site.article("finance", "embargoed", "Not before 2030.\n", title="Embargoed story",
                 published="2030-01-01T09:00:00+08:00")  # fmt: skip
    publish(site, "--resident")
    assert not (site.root / "public/finance/embargoed").exists()
    # A rehearsal as of 2031 into another folder, then the live site as of now again.
    publish(
        site, "--resident", "--now", "2031-01-01T00:00:00Z", "--out", str(site.root / "rehearsal")
    )
    assert (site.root / "rehearsal/finance/embargoed/index.html").exists()
    publish(site, "--resident", "--now", "2031-01-01T00:00:00Z")
    assert headline(site, 0) == "Story 0"
    assert "Embargoed story" in feed_titles(site.root)
    retitle(site, 2, "Back to today")
    publish(site, "--resident")  # time set back: the resident starts over, exactly
    assert not (site.root / "public/finance/embargoed").exists()
    assert "Embargoed story" not in feed_titles(site.root)
    assert headline(site, 2) == "Back to today"
    publish(site, "--force", "--no-resident", "--out", str(site.root / "cold"))
    assert_same_output(site.root / "public", site.root / "cold")


def test_saved_paths_hold_every_save_made_before_they_are_taken(
    site: SiteFactory, tmp_path: Path
) -> None:
    site.write_config()
    first = site.article("finance", "a", "A.\n")
    saved = SavedPaths(site.config(), tmp_path / "markers")
    try:
        assert saved.ready and saved.take(site.config()) == []
        for round_ in range(20):  # saved, then taken at once
            story = site.article("finance", f"s{round_ % 3}", f"Edit {round_}.\n")
            assert str(story) in (saved.take(site.config()) or [])
        (site.content / "finance/.a.md.swp").write_text("swap")  # an editor's, not a save
        first.unlink()
        assert saved.take(site.config()) == [str(first)]
    finally:
        saved.close()
    assert saved.take(site.config()) is None  # stopped: not known
    assert not (tmp_path / "markers").exists()


def test_resident_status_and_stop(newsroom: SiteFactory) -> None:
    site = newsroom
    assert "no resident publisher" in site.cli("resident", "status").output
    publish(site, "--resident")
    pid = resident_pid(site.config_path)
    assert f"resident publisher (pid {pid}) answers" in site.cli("resident", "status").output
    stopped = site.cli("resident", "stop")
    assert (
        stopped.exit_code == 0 and f"stopped the resident publisher (pid {pid})" in stopped.output
    )
    assert pid is not None and gone(pid)
    assert "no resident publisher" in site.cli("resident", "status").output
