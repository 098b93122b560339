"""The outbox on its own, SQLite and PostgreSQL alike: leases, order, fencing, requeue."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.delivery.outbox import NewDelivery, Outbox, Result, SqliteOutbox
from syndicate.delivery.pg_outbox import PgOutbox


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


def open_outbox(ref: Path | str) -> Outbox:
    """The same suite runs against both stores: a SQLite file or a PostgreSQL database."""
    if isinstance(ref, Path):
        return SqliteOutbox(ref)
    return PgOutbox(ref, retry_for=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "outbox.sqlite3"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def outbox(store_path: Path | str) -> Iterator[Outbox]:
    store = open_outbox(store_path)
    yield store
    store.close()


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


def test_a_batch_is_fenced_row_by_row_a_stale_row_is_refused_while_the_rest_land(
    outbox, store_path
):
    """One transaction for the batch, but each row checked against its own token."""
    other = open_outbox(store_path)
    try:
        outbox.enqueue([_item(uid, 1) for uid in "abcd"], now=100)
        slow = outbox.claim("p", owner="slow", limit=4, lease=5, now=100)
        assert [d.uid for d in slow] == ["a", "b", "c", "d"]
        [fast] = other.claim("p", owner="fast", limit=1, lease=5, now=106)  # took `a` over
        assert fast.uid == "a"
        assert other.report(fast, Result("retry", 503, "busy", 107, 400), worker="fast")
        batch = [
            (slow[0], Result("delivered", 200, "", 108)),  # stale: `fast` owns it now
            (slow[1], Result("delivered", 200, "", 108)),
            (slow[2], Result("retry", 500, "oops", 108, 300)),
            (slow[3], Result("dead", 400, "bad", 108)),
        ]
        assert outbox.report_many(batch, worker="slow") == [False, True, True, True]
        [stats] = outbox.stats()
        assert (stats.pending, stats.retrying, stats.delivered, stats.dead) == (0, 2, 1, 1)
        log = outbox.attempts(partner="p", uid=None, since=None, limit=10)
        assert [(a.uid, a.outcome, a.worker) for a in log] == [
            ("a", "retry", "fast"),  # the new owner's outcome stands
            ("a", "stale", "slow"),
            ("b", "delivered", "slow"),
            ("c", "retry", "slow"),
            ("d", "dead", "slow"),
        ]
        assert outbox.report_many([], worker="slow") == []
        # The same batch again (a flush repeated after a reconnect) changes nothing more.
        assert outbox.report_many(batch[1:2] + batch[3:], worker="slow") == [False, False]
        [stats] = outbox.stats()
        assert (stats.pending, stats.retrying, stats.delivered, stats.dead) == (0, 2, 1, 1)
    finally:
        other.close()


def test_a_batch_tracks_partner_health_in_order(outbox):
    """Failures then a success in one batch leave the partner healthy, as one by one would."""
    day = 86400.0
    outbox.enqueue([_item(uid, 1) for uid in "abc"], now=0)
    a, b, c = outbox.claim("p", owner="w", limit=3, lease=30, now=0)
    outbox.report_many(
        [(a, Result("retry", 503, "busy", 1, 10)), (b, Result("retry", 503, "busy", 2, 10))],
        worker="w",
        disable_after=day,
    )
    assert outbox.endpoints()["p"].failing_since == 1
    outbox.report_many(
        [(c, Result("retry", 503, "busy", day + 1, day + 9))], worker="w", disable_after=day
    )
    assert outbox.endpoints()["p"].disabled_at == day + 1
    assert outbox.claim("p", owner="w", limit=3, lease=30, now=day + 10) == []  # disabled
    outbox.enable("p", now=day + 20)
    a, b, _ = outbox.claim("p", owner="w", limit=3, lease=30, now=day + 20)
    landed = outbox.report_many(
        [
            (a, Result("retry", 503, "busy", day + 21, day + 99)),
            (b, Result("delivered", 200, "", day + 22)),
        ],
        worker="w",
        disable_after=day,
    )
    assert landed == [True, True]
    endpoint = outbox.endpoints()["p"]
    assert (endpoint.failing_since, endpoint.disabled_at) == (None, None)


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
    outbox.report(due[1], Result("retry", 500, "x", day + 30, day + 40), worker="w")
    assert outbox.endpoints()["p"].failing_since == day + 30  # failing again, from now


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


def test_a_dead_workers_leases_come_back_at_once(store_path):
    """PostgreSQL: the worker's advisory lock dies with its connection; SQLite: its pid."""
    first, second = open_outbox(store_path), open_outbox(store_path)
    try:
        first.register("host-a:1:x")
        second.register("host-b:2:y")
        first.enqueue([_item("a", 1), _item("b", 1)], now=100)
        assert len(first.claim("p", owner="host-a:1:x", limit=5, lease=999, now=100)) == 2
        assert second.release_owners(lambda owner: False) == 0  # alive: leases kept
        assert second.claim("p", owner="host-b:2:y", limit=5, lease=999, now=101) == []
        first.close()  # the worker dies, and its connection with it
        released = 0
        for _ in range(100):  # the server ends the closed session's backend a moment later
            released += second.release_owners(lambda owner: owner == "host-a:1:x")
            if released:
                break
            time.sleep(0.05)
        assert released == 2
        assert len(second.claim("p", owner="host-b:2:y", limit=5, lease=999, now=102)) == 2
    finally:
        second.close()


def test_concurrent_claims_never_share_a_row(store_path):
    stores = [open_outbox(store_path) for _ in range(3)]
    try:
        stores[0].enqueue([_item(f"u{n}", 1) for n in range(30)], now=0)
        taken: list[int] = []
        for turn in range(12):
            store = stores[turn % 3]
            taken += [d.id for d in store.claim("p", owner=f"w{turn}", limit=3, lease=99, now=1)]
        assert len(taken) == 30 and len(set(taken)) == 30
    finally:
        for store in stores:
            store.close()


def test_a_bulk_enqueue_on_postgresql_refreshes_planner_statistics(pg_url):
    """Claims are planned for the queue as it is, not as the empty table it was."""
    from syndicate.delivery.pg_outbox import ANALYZE_AFTER

    outbox = PgOutbox(pg_url, retry_for=5)
    try:
        outbox.enqueue([_item(f"u{n}", 1) for n in range(ANALYZE_AFTER)], now=100)
        [(rows,)] = outbox.session.run(
            lambda conn: conn.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'deliveries'::regclass"
            ).fetchall()
        )
        assert rows == ANALYZE_AFTER
        claimed = outbox.claim("p", owner="w", limit=8, lease=30, now=100)
        assert [d.uid for d in claimed] == [f"u{n}" for n in range(8)]
    finally:
        outbox.close()
