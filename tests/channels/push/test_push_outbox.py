"""The SQLite outbox on its own: leases, per-article order, stale workers, requeue."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.delivery.outbox import NewDelivery, Result, SqliteOutbox


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


def open_outbox(path: Path) -> SqliteOutbox:
    return SqliteOutbox(path)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite3"


@pytest.fixture
def outbox(store_path: Path) -> SqliteOutbox:
    return open_outbox(store_path)


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


def _retry(outbox, d, due_at, now=None, status=503, error="busy"):
    result = Result("retry", status, error, now if now is not None else due_at - 1, due_at)
    return outbox.report(d, result, worker="w")


def _delivered(outbox, d, now, disable_after=0.0):
    return outbox.report(
        d, Result("delivered", 200, "", now), worker="w", disable_after=disable_after
    )


def _dead(outbox, d, now, status=400, error="bad"):
    return outbox.report(d, Result("dead", status, error, now), worker="w")


def test_later_version_waits_for_the_earlier_one(outbox):
    outbox.enqueue([_item("a", 1), _item("a", 2)], now=100)
    [v1] = outbox.claim("p", owner="w", limit=10, lease=30, now=100)
    assert v1.version == 1
    assert _retry(outbox, v1, due_at=200)
    assert outbox.claim("p", owner="w", limit=10, lease=30, now=150) == []
    assert outbox.next_due(["p"]) == 200
    [again] = outbox.claim("p", owner="w", limit=10, lease=30, now=200)
    assert _delivered(outbox, again, now=201)
    [v2] = outbox.claim("p", owner="w", limit=10, lease=30, now=201)
    assert v2.version == 2


def test_a_worker_whose_lease_lapsed_cannot_overwrite_the_new_owners_outcome(outbox, store_path):
    """Two connections, as two hosts would have: the fencing token decides who may report."""
    other = open_outbox(store_path)
    try:
        outbox.enqueue([_item("a", 1)], now=100)
        [slow] = outbox.claim("p", owner="slow", limit=1, lease=5, now=100)
        [fast] = other.claim("p", owner="fast", limit=1, lease=5, now=106)
        assert fast.token > slow.token
        assert _retry(other, fast, due_at=400, now=107, status=503)
        assert not _delivered(outbox, slow, now=108)  # late 2xx: logged, not recorded
        assert not _dead(outbox, slow, now=109)
        [stats] = outbox.stats()
        assert (stats.pending, stats.retrying, stats.delivered, stats.dead) == (0, 1, 0, 0)
        [again] = other.claim("p", owner="fast", limit=1, lease=5, now=400)
        assert _delivered(other, again, now=401)
        assert not _retry(outbox, slow, due_at=500)
        [stats] = outbox.stats()
        assert (stats.pending, stats.retrying, stats.delivered, stats.dead) == (0, 0, 1, 0)
        log = outbox.attempts(partner="p", uid=None, since=None, limit=10)
        assert [(a.outcome, a.worker) for a in log] == [
            ("retry", "w"),
            ("stale", "w"),
            ("stale", "w"),
            ("delivered", "w"),
            ("stale", "w"),
        ]
        assert [a.attempt for a in log] == [1, 1, 1, 2, 1]
    finally:
        other.close()


def test_gone_owners_release_their_leases_and_dead_rows_requeue(outbox):
    outbox.enqueue([_item("a", 1), _item("b", 1)], now=100)
    outbox.claim("p", owner="host:1:x", limit=2, lease=999, now=100)
    assert outbox.release_owners(lambda owner: owner == "host:1:x") == 2
    a, b = outbox.claim("p", owner="w", limit=2, lease=30, now=101)
    _dead(outbox, a, now=102)
    _retry(outbox, b, due_at=500, status=500, error="oops")
    [stats] = outbox.stats()
    assert (stats.pending, stats.retrying, stats.dead) == (0, 1, 1)
    assert stats.oldest_pending_at == 100
    assert outbox.dead_letters(partner="p", limit=5)[0].last_error == "bad"
    assert outbox.requeue_dead(partner="other", now=103) == 0
    assert outbox.requeue_dead(partner=None, now=103) == 1
    [requeued] = outbox.claim("p", owner="w", limit=5, lease=30, now=103)
    assert requeued.uid == "a" and requeued.attempts == 0


def test_released_claims_are_due_again_at_once(outbox):
    outbox.enqueue([_item("a", 1)], now=100)
    [d] = outbox.claim("p", owner="w", limit=1, lease=999, now=100)
    outbox.release([d])
    [again] = outbox.claim("p", owner="w2", limit=1, lease=999, now=101)
    assert again.id == d.id and again.token == d.token + 1


def test_a_partner_failing_for_a_day_is_disabled_until_enabled(outbox):
    outbox.enqueue([_item("a", 1), _item("b", 1), _item("c", 1, partner="q")], now=0)
    day = 86400.0
    a, _b = outbox.claim("p", owner="w", limit=2, lease=30, now=0)
    outbox.report(a, Result("retry", 503, "busy", 0, 10), worker="w", disable_after=day)
    assert outbox.endpoints()["p"].failing_since == 0
    [a] = outbox.claim("p", owner="w", limit=1, lease=30, now=day - 1)
    outbox.report(a, Result("retry", 503, "busy", day - 1, day), worker="w", disable_after=day)
    assert outbox.endpoints()["p"].disabled_at is None  # not a whole day yet
    [a] = outbox.claim("p", owner="w", limit=1, lease=30, now=day)
    outbox.report(a, Result("retry", 503, "busy", day, day + 5), worker="w", disable_after=day)
    endpoint = outbox.endpoints()["p"]
    assert (
        endpoint.disabled_at == day and "every attempt failed for 24 h" in endpoint.disabled_reason
    )
    assert outbox.claim("p", owner="w", limit=5, lease=30, now=day + 10) == []
    assert outbox.next_due(["p"]) is None
    assert [d.uid for d in outbox.claim("q", owner="w", limit=5, lease=30, now=day)] == ["c"]

    assert outbox.enable("p", now=day + 20) == 2  # a and b wait for p; due now
    due = outbox.claim("p", owner="w", limit=5, lease=30, now=day + 20)
    assert {d.uid for d in due} == {"a", "b"}
    assert outbox.endpoints()["p"].disabled_at is None
    _delivered(outbox, due[0], now=day + 21, disable_after=day)
    assert outbox.endpoints()["p"].failing_since is None


def test_replay_by_partner_article_and_time(outbox):
    outbox.enqueue([_item("a", 1), _item("b", 1), _item("a", 1, partner="q")], now=0)
    for partner, when in (("p", 100), ("q", 300)):
        for d in outbox.claim(partner, owner="w", limit=5, lease=30, now=when):
            _delivered(outbox, d, now=when + (d.uid == "b"))
    assert outbox.replay(partner="p", uid="a", since=None, until=None, now=400) == 1
    [again] = outbox.claim("p", owner="w", limit=5, lease=30, now=400)
    assert (again.uid, again.webhook_id, again.attempts) == ("a", "msg_p_a_1", 0)
    _delivered(outbox, again, now=401)
    assert outbox.replay(partner=None, uid=None, since=101, until=350, now=500) == 2  # b, q/a
    assert sorted(d.uid for d in outbox.claim("p", owner="w", limit=5, lease=30, now=500)) == ["b"]
    assert [d.partner for d in outbox.claim("q", owner="w", limit=5, lease=30, now=500)] == ["q"]
