"""The newsletter store on its own, SQLite and PostgreSQL alike (one suite, two backends)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from syndicate.delivery.mailing import MailingStore, SqliteMailingStore
from syndicate.delivery.pg_mailing import PgMailingStore

NEWEST = datetime(2024, 2, 21, 8, 0, tzinfo=UTC)


def open_store(ref: Path | str) -> MailingStore:
    if isinstance(ref, Path):
        return SqliteMailingStore(ref)
    return PgMailingStore(ref, retry_for=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def ref(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "mailing.sqlite3"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(ref: Path | str) -> Iterator[MailingStore]:
    opened = open_store(ref)
    yield opened
    opened.close()


def _issue_for(store: MailingStore, *emails: str) -> int:
    for email in emails:
        store.add_subscriber("daily", email)
    issue = store.save_draft("daily", "Daily #1", "body", NEWEST, 2)
    store.start_sending(issue.id)
    return issue.id


def test_subscribers_are_unique_per_list_by_folded_address(store):
    ann, created = store.add_subscriber("daily", "Ann@Example.com", "Ann")
    assert created and ann.status == "active" and ann.name == "Ann"
    same, created = store.add_subscriber("daily", "ann@example.com")
    assert not created and same.id == ann.id
    other, created = store.add_subscriber("weekly", "ann@example.com")
    assert created and other.id != ann.id
    store.set_status(ann.id, "unsubscribed")
    assert store.find_subscriber("daily", "ANN@example.com").status == "unsubscribed"
    assert [s.email for s in store.subscribers("daily", "active")] == []
    store.remove_subscriber(ann.id)
    assert store.get_subscriber(ann.id) is None


def test_issues_number_up_and_a_draft_is_replaced_not_duplicated(store):
    first = store.save_draft("daily", "one", "b", NEWEST, 1)
    again = store.save_draft("daily", "one again", "b", NEWEST, 1)
    assert first.number == again.number == 1 and store.open_issue("daily").subject == "one again"
    store.start_sending(again.id)
    # Another sender saving a draft now gets the issue being sent, not a second issue.
    assert store.save_draft("daily", "other", "b", NEWEST, 1).id == again.id
    assert store.newest_covered("daily") == NEWEST
    assert store.next_number("daily") == 2


def test_a_draft_saved_while_an_issue_starts_sending_is_that_issue(pg_url: str) -> None:
    """Sender A starts its issue while sender B saves a draft (PostgreSQL: two hosts).

    A's start is held up on the issue's row (another transaction holds it); B must wait
    for A and get A's issue, not wait for the row, find no issue sending yet, and save a
    second one that every subscriber would get too.
    """
    a, b = PgMailingStore(pg_url, retry_for=5), PgMailingStore(pg_url, retry_for=5)
    holder = psycopg.connect(pg_url, autocommit=False)
    try:
        a.add_subscriber("daily", "ann@example.com")
        issue = a.save_draft("daily", "Daily #1", "body", NEWEST, 1)
        holder.execute("SELECT 1 FROM syndicate_mail.issues WHERE id = %s FOR UPDATE", (issue.id,))
        starting = threading.Thread(target=a.start_sending, args=(issue.id,))
        starting.start()
        time.sleep(0.5)  # A holds the list's lock and waits for the row
        saved: list[int] = []
        saving = threading.Thread(
            target=lambda: saved.append(b.save_draft("daily", "B's", "b", NEWEST, 1).id)
        )
        saving.start()
        time.sleep(0.5)
        holder.commit()
        starting.join(10)
        saving.join(10)
        assert saved == [issue.id]
        assert b.next_number("daily") == 2  # one issue numbered, being sent
    finally:
        holder.close()
        a.close()
        b.close()


def test_claims_are_leased_and_a_lapsed_lease_cannot_record(ref, store):
    issue = _issue_for(store, "a@example.com", "b@example.com", "c@example.com")
    other = open_store(ref)
    try:
        mine = store.claim(issue, owner="w1", limit=2, lease=10, now=100)
        assert [d.subscriber.email for d in mine] == ["a@example.com", "b@example.com"]
        theirs = other.claim(issue, owner="w2", limit=5, lease=10, now=101)
        assert [d.subscriber.email for d in theirs] == ["c@example.com"]
        taken = other.claim(issue, owner="w2", limit=5, lease=10, now=111)  # w1's lease lapsed
        assert [d.subscriber.email for d in taken] == ["a@example.com", "b@example.com"]
        assert other.record(taken[0], "sent")
        assert not store.record(mine[0], "failed", "late")  # cannot overwrite the new owner
        assert not store.defer(mine[1], "451 later", now=112, due_at=500)
        assert other.defer(taken[1], "451 later", now=112, due_at=500)
        assert store.counts(issue) == {"sent": 1, "pending": 2}
        assert store.next_due(issue) == 0  # c was never attempted: due at once
        assert other.record(theirs[0], "sent")
        assert store.claim(issue, owner="w1", limit=5, lease=10, now=200) == []  # b waits
        assert store.next_due(issue) == 500
        [b] = store.claim(issue, owner="w1", limit=5, lease=10, now=500)
        assert b.attempts == 1 and b.deferred_since == 112 and b.error == "451 later"
        assert store.record(b, "sent")
        assert store.finish_if_done(issue)
    finally:
        other.close()


def test_released_and_dead_senders_copies_are_due_again(ref, store):
    issue = _issue_for(store, "a@example.com", "b@example.com")
    dying = open_store(ref)
    dying.register("host:1:x")
    store.register("host:2:y")
    assert len(dying.claim(issue, owner="host:1:x", limit=5, lease=999, now=100)) == 2
    assert store.claim(issue, owner="host:2:y", limit=5, lease=999, now=101) == []
    assert store.release_owners(lambda owner: False) == 0
    dying.close()
    released = 0
    for _ in range(100):  # PostgreSQL ends the closed session's backend a moment later
        released = store.release_owners(lambda owner: owner == "host:1:x")
        if released:
            break
        time.sleep(0.05)
    assert released == 2
    claimed = store.claim(issue, owner="host:2:y", limit=5, lease=999, now=102)
    assert len(claimed) == 2
    store.release(claimed[1:])
    [again] = store.claim(issue, owner="host:2:y", limit=5, lease=999, now=103)
    assert again.subscriber.id == claimed[1].subscriber.id and again.token > claimed[1].token
