"""Outcomes land in batches: a worker killed before its batch landed loses nothing.

The worker runs in its own process and is killed (SIGKILL, by itself) the moment it
starts to record its first batch, so the partner has answered some deliveries whose
outcome the store never got. The rerun sends every one of those again, with the same
webhook-id: duplicates, never a loss. That is the window `channels/push/outcomes.py`
documents (one batch: a few milliseconds of deliveries).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from syndicate_channels.push.deliverer import Deliverer
from syndicate_channels.push.settings import PushSettings

from syndicate.delivery.outbox import NewDelivery, Outbox, SqliteOutbox
from syndicate.delivery.pg_outbox import PgOutbox

COUNT = 10

WORKER = """
import asyncio, json, os, signal, sys
from pathlib import Path
from syndicate_channels.push.deliverer import Deliverer
from syndicate_channels.push.settings import PushSettings
from syndicate.delivery.outbox import SqliteOutbox
from syndicate.delivery.pg_outbox import PgOutbox

ref, settings = sys.argv[1], json.loads(sys.argv[2])
outbox = PgOutbox(ref) if ref.startswith("postgresql://") else SqliteOutbox(Path(ref))

def killed_mid_batch(outcomes, **kwargs):
    print(len(outcomes), file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

outbox.report_many = killed_mid_batch
deliverer = Deliverer(PushSettings.model_validate(settings), outbox)
deliverer.batch_delay = 3600.0  # flushed by size or before a claim only
asyncio.run(deliverer.run("drain"))
"""


def open_outbox(ref: str) -> Outbox:
    if ref.startswith("postgresql://"):
        return PgOutbox(ref, retry_for=5)
    return SqliteOutbox(Path(ref))


@pytest.fixture(params=["sqlite", "postgresql"])
def ref(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "outbox.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def outbox(ref: str) -> Iterator[Outbox]:
    store = open_outbox(ref)
    yield store
    store.close()


def _items(count: int) -> list[NewDelivery]:
    return [
        NewDelivery(
            partner="wire",
            uid=f"story-{n}",
            version=1,
            content_hash=str(n),
            pubstatus="usable",
            meta="{}",
            webhook_id=f"msg_story_{n}",
            content_type="application/json",
            body=json.dumps({"n": n}).encode(),
        )
        for n in range(count)
    ]


def test_a_worker_killed_before_its_batch_landed_redelivers_and_loses_nothing(
    push, receiver, ref, outbox
):
    outbox.enqueue(_items(COUNT), now=time.time())
    partner = push.partner(receiver.url, concurrency=2)
    settings = push.settings(partner)["push"]
    worker = subprocess.run(
        [sys.executable, "-c", WORKER, ref, json.dumps(settings)],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    batch = int(worker.stderr.split()[0])
    cut = len(receiver.seen)
    sent = {s.id for s in receiver.seen if s.verified}  # reached the partner whole
    assert 1 <= batch <= sum(s.answer == "200" for s in receiver.seen)
    # The partner has those; the store has none of them.
    [stats] = outbox.stats()
    assert stats.delivered == 0
    assert outbox.attempts(partner=None, uid=None, since=None, limit=100) == []

    rerun = Deliverer(PushSettings.model_validate(settings), outbox)
    report = asyncio.run(rerun.run("drain"))
    assert report.delivered == COUNT
    [stats] = outbox.stats()
    assert (stats.delivered, stats.pending, stats.retrying, stats.dead) == (COUNT, 0, 0, 0)

    copies: dict[str, int] = {}
    for number, seen in enumerate(receiver.seen):
        if not seen.verified:  # only a request the kill cut short arrives incomplete
            assert number < cut and seen.answer != "200"
            continue
        copies[seen.id] = copies.get(seen.id, 0) + 1
    assert set(copies) == {item.webhook_id for item in _items(COUNT)}  # nothing lost
    twice = sorted(i for i, n in copies.items() if n == 2)
    assert twice == sorted(sent) and max(copies.values()) == 2  # only those, once more


def test_outcomes_are_recorded_before_the_worker_stops_or_claims_more(push, receiver, outbox):
    """Twice the claim window, in batches: every outcome lands, each delivery sent once."""
    outbox.enqueue(_items(40), now=time.time())
    partner = push.partner(receiver.url, concurrency=4)
    settings = PushSettings.model_validate(push.settings(partner)["push"])
    deliverer = Deliverer(settings, outbox)
    deliverer.batch_size = 5
    deliverer.batch_delay = 3600.0  # by size, before claims, and at the end only
    landed: list[int] = []
    real = outbox.report_many

    def counted(outcomes: Any, **kwargs: Any) -> list[bool]:
        landed.append(len(outcomes))
        return real(outcomes, **kwargs)

    outbox.report_many = counted  # type: ignore[method-assign]
    report = asyncio.run(deliverer.run("once"))
    assert report.delivered == 40
    assert sum(landed) == 40 and len(landed) < 40  # batched, and nothing left unrecorded
    assert max(landed) <= 2 * 4 * 3  # never more than a claim window waits
    [stats] = outbox.stats()
    assert (stats.delivered, stats.pending) == (40, 0)
    assert sorted(s.id for s in receiver.seen) == sorted(i.webhook_id for i in _items(40))
