"""Fault test on PostgreSQL: three `push --follow` workers, a misbehaving partner, SIGKILLs
at random with restarts, and the database itself restarted mid-run.

Nothing may be lost, and a webhook-id may reach the partner twice only when its first
copy was cut short: the request hung past the timeout, the connection was dropped, or the
worker (or its database connection) died while the request was in flight.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

from syndicate.delivery.pg_outbox import PgOutbox

ARTICLES = 24
PARTNERS = ("wire", "agency")
RUN_FOR = 40.0  # seconds before the test gives up (it normally takes ~10-20)


def _plan(rng: random.Random, steps: int) -> list[tuple[Any, ...]]:
    """Mostly 200s, with 503 + Retry-After, hangs past the read timeout and drops."""
    faults: list[tuple[Any, ...]] = [
        ("status", 503, {"Retry-After": "1"}, b"busy"),
        ("hang", 1.0),
        ("drop",),
    ]
    return [
        rng.choice(faults) if rng.random() < 0.35 else ("status", 200, {}, b"ok")
        for _ in range(steps)
    ]


def test_workers_killed_and_database_restarted_lose_nothing(
    site, push, receiver, pg_server, pg_url
):
    rng = random.Random(19)
    receiver.plan = _plan(rng, 60)
    for n in range(ARTICLES):
        site.article("news", f"story-{n:02d}", f"Body {n}.\n")
    partners = []
    for name in PARTNERS:
        partner = push.partner(receiver.url, name=name, concurrency=2, max_attempts=1000)
        partner["timeout"] = {"connect": 1, "read": 0.5}
        partner["backoff"] = {"base": 0.05, "cap": 0.2, "max_retry_after": 1}
        partners.append(partner)
    site.settings["state_url"] = pg_url
    site.write_config(channels=push.settings(*partners, lease=4, poll_interval=0.05))
    assert site.cli("publish", "--channels", "push").exit_code == 0
    outbox = PgOutbox(pg_url, retry_for=30)
    expected = ARTICLES * len(PARTNERS)

    command = [sys.executable, "-c", "from syndicate.cli import main; main()"]
    argv = [*command, "--config", str(site.config_path), "push", "--follow"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    workers = [start() for _ in range(3)]
    cuts: list[tuple[float, float]] = []  # windows in which an in-flight request may be lost
    restarted = False
    started = time.monotonic()
    try:
        while time.monotonic() - started < RUN_FOR:
            time.sleep(rng.uniform(0.3, 0.9))
            delivered = sum(s.delivered or 0 for s in outbox.stats())
            if delivered >= expected:
                break
            victim = rng.randrange(len(workers))
            kill_at = time.time()
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            cuts.append((kill_at - 2.5, kill_at))
            workers[victim] = start()
            if not restarted and delivered >= expected // 3:
                restarted = True
                down = time.time()
                pg_server.restart()
                cuts.append((down - 2.5, time.time() + 2.5))
        else:
            raise AssertionError(f"not done in {RUN_FOR}s: {outbox.stats()}")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert restarted, "the database restart never happened"
    assert len(cuts) >= 3, "fewer than two workers were killed"
    stats = {s.partner: s for s in outbox.stats()}
    assert {p: (s.delivered, s.dead, s.pending, s.retrying) for p, s in stats.items()} == {
        p: (ARTICLES, 0, 0, 0) for p in PARTNERS
    }
    rows = outbox.session.run(
        lambda conn: conn.execute("SELECT webhook_id FROM deliveries").fetchall()
    )
    expected_ids = {str(r[0]) for r in rows}
    outbox.close()

    by_id: dict[str, list[Any]] = {}
    for seen in receiver.seen:
        if not seen.verified:
            # A worker killed between a request's headers and its body: the partner got a
            # truncated request it cannot verify (so never acts on), not a delivery.
            assert len(seen.body) < int(seen.headers["content-length"]), seen
            assert any(start <= seen.at <= end + 1.0 for start, end in cuts), seen
            continue
        by_id.setdefault(seen.id, []).append(seen)
    ok = {i for i, copies in by_id.items() if any(c.answer == "200" for c in copies)}
    assert ok == expected_ids  # nothing lost
    for webhook_id, copies in by_id.items():
        successes = [c for c in copies if c.answer == "200"]
        for earlier in successes[:-1]:  # a second 200 needs a first copy that was cut short
            cut = any(start <= earlier.at <= end for start, end in cuts)
            assert cut, f"{webhook_id} delivered twice with no timeout, drop or kill between"
    assert any(c.answer in ("hang", "drop") for c in receiver.seen)
    assert any(c.answer == "503" for c in receiver.seen)
