"""Never lost, never doubled: kill -9 a `syndicate push` mid-way, rerun, check every row.

The receiver holds one request open and the test kills the pusher while it waits, so
there is always a delivery the partner received but the pusher never recorded: the
rerun must send it again with the same webhook-id (at-least-once on the wire).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

ARTICLES = 30


def test_kill_9_mid_push_then_rerun_delivers_everything_once(site, push, receiver):
    for n in range(ARTICLES):
        site.article("news", f"story-{n:02d}", f"Body {n}.\n")
    partner = push.partner(receiver.url, concurrency=2)
    partner["timeout"] = {"connect": 2, "read": 10}
    site.write_config(channels=push.settings(partner))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    expected = {r["webhook_id"] for r in push.rows(site.root)}
    assert len(expected) == ARTICLES

    receiver.delay = 0.01
    receiver.hold_at = 10  # the 10th request is answered only after the kill
    receiver.hold_for = 3.0
    command = [sys.executable, "-c", "from syndicate.cli import main; main()"]
    proc = subprocess.Popen(
        [*command, "--config", str(site.config_path), "push", "--drain"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert receiver.held.wait(timeout=60), "the pusher never reached the 10th request"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        out, errors = proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    before = push.rows(site.root)
    assert 0 < sum(r["state"] == "delivered" for r in before) < ARTICLES

    receiver.hold_at = None
    rerun = subprocess.run(
        [*command, "--config", str(site.config_path), "push", "--drain"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr

    rows = push.rows(site.root)
    assert len(rows) == ARTICLES  # exactly one state row per delivery
    assert all(r["state"] == "delivered" for r in rows)
    assert {r["webhook_id"] for r in rows} == expected

    seen: dict[str, list[Any]] = {}
    for s in receiver.seen:
        assert s.verified
        seen.setdefault(s.id, []).append(s)
    assert set(seen) == expected  # every delivery reached the partner at least once
    duplicates = {i: ss for i, ss in seen.items() if len(ss) > 1}
    assert duplicates, "the held request should have been sent again after the kill"
    for copies in duplicates.values():
        assert len({c.body for c in copies}) == 1  # a retry is the same message
    assert push.secret not in out.decode() + errors.decode() + rerun.stdout + rerun.stderr


def _wait_for(predicate: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_follow_picks_up_new_publishes_and_stops_cleanly_on_sigterm(site, push, receiver):
    site.article("news", "early", "Early.\n")
    site.write_config(channels=push.settings(push.partner(receiver.url)))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    command = [sys.executable, "-c", "from syndicate.cli import main; main()"]
    proc = subprocess.Popen(
        [*command, "--config", str(site.config_path), "push", "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_for(lambda: len(receiver.ids()) == 1)
        site.article("news", "late", "Late.\n")
        assert site.cli("publish", "--channels", "push").exit_code == 0
        assert _wait_for(lambda: len(receiver.ids()) == 2)
        proc.send_signal(signal.SIGTERM)
        out, errors = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, errors
    assert "2 delivered" in out
    assert "Traceback" not in errors
    assert all(r["state"] == "delivered" for r in push.rows(site.root))
