"""The SQLite outbox on its own: leases, per-article order, stale workers, requeue."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.delivery.outbox import NewDelivery, SqliteOutbox


def _item(uid: str, version: int, partner: str = "p") -> NewDelivery:
    return NewDelivery(
        partner=partner,
        uid=uid,
        version=version,
        content_hash=f"h{version}",
        pubstatus="usable",
        meta="{}",
        webhook_id=f"msg_{partner}_{uid}_{version}",
        content_type="application/json",
        body=b"{}",
    )


@pytest.fixture
def outbox(tmp_path: Path) -> SqliteOutbox:
    return SqliteOutbox(tmp_path / "outbox.sqlite3")


def test_enqueue_is_idempotent_and_records_last_version(outbox):
    assert outbox.enqueue([_item("a", 1), _item("a", 2)], now=100) == 2
    assert outbox.enqueue([_item("a", 2)], now=101) == 0  # one row per delivery
    assert outbox.recorded("p")["a"].version == 2
    assert outbox.recorded("other") == {}


def test_lease_hides_claimed_rows_until_it_expires(outbox):
    outbox.enqueue([_item("a", 1), _item("b", 1)], now=100)
    first = outbox.claim("p", owner="w1", limit=10, lease=30, now=100)
    assert [d.uid for d in first] == ["a", "b"]
    assert outbox.claim("p", owner="w2", limit=10, lease=30, now=120) == []
    again = outbox.claim("p", owner="w2", limit=10, lease=30, now=131)  # w1 presumed dead
    assert [d.uid for d in again] == ["a", "b"]


def test_later_version_waits_for_the_earlier_one(outbox):
    outbox.enqueue([_item("a", 1), _item("a", 2)], now=100)
    [v1] = outbox.claim("p", owner="w", limit=10, lease=30, now=100)
    assert v1.version == 1
    outbox.mark_retry(v1.id, owner="w", due_at=200, status=503, error="busy")
    assert outbox.claim("p", owner="w", limit=10, lease=30, now=150) == []
    assert outbox.next_due(["p"]) == 200
    [again] = outbox.claim("p", owner="w", limit=10, lease=30, now=200)
    outbox.mark_delivered(again.id, status=200, now=201)
    [v2] = outbox.claim("p", owner="w", limit=10, lease=30, now=201)
    assert v2.version == 2


def test_a_stale_worker_cannot_undo_a_delivery(outbox):
    outbox.enqueue([_item("a", 1)], now=100)
    [slow] = outbox.claim("p", owner="slow", limit=1, lease=5, now=100)
    [fast] = outbox.claim("p", owner="fast", limit=1, lease=5, now=106)
    outbox.mark_delivered(fast.id, status=200, now=107)
    outbox.mark_retry(slow.id, owner="slow", due_at=300, status=None, error="timeout")
    outbox.mark_dead(slow.id, owner="slow", status=400, error="late", now=301)
    [stats] = outbox.stats()
    assert (stats.pending, stats.retrying, stats.delivered, stats.dead) == (0, 0, 1, 0)


def test_gone_owners_release_their_leases_and_dead_rows_requeue(outbox):
    outbox.enqueue([_item("a", 1), _item("b", 1)], now=100)
    outbox.claim("p", owner="host:1:x", limit=2, lease=999, now=100)
    assert outbox.release_owners(lambda owner: owner == "host:1:x") == 2
    a, b = outbox.claim("p", owner="w", limit=2, lease=30, now=101)
    outbox.mark_dead(a.id, owner="w", status=400, error="bad", now=102)
    outbox.mark_retry(b.id, owner="w", due_at=500, status=500, error="oops")
    [stats] = outbox.stats()
    assert (stats.pending, stats.retrying, stats.dead) == (0, 1, 1)
    assert stats.oldest_pending_at == 100
    assert outbox.dead_letters(partner="p", limit=5)[0].last_error == "bad"
    assert outbox.requeue_dead(partner="other", now=103) == 0
    assert outbox.requeue_dead(partner=None, now=103) == 1
    [requeued] = outbox.claim("p", owner="w", limit=5, lease=30, now=103)
    assert requeued.uid == "a" and requeued.attempts == 0
