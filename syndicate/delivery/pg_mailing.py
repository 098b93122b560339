"""The newsletter store on PostgreSQL: one issue shared by senders on many hosts.

Same SQL as the SQLite store (mailing.SQL). Claims take copies with `FOR UPDATE SKIP
LOCKED`; a draft is saved and an issue starts sending under a per-list advisory lock, so
two senders starting at once end up sending the same issue; dead senders are recognised
by their session advisory lock (released by the server with their connection), never by
host name or process id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import psycopg

from .mailing import (
    SQL,
    Delivery,
    Issue,
    SqlMailingStore,
    Subscriber,
    claim_sql,
    copy_key,
    delivery_of,
    issue_of,
    now_text,
    subscriber_of,
)
from .postgres import PgSession, named

Conn = psycopg.Connection[tuple[object, ...]]
SCHEMA = "syndicate_mail"
SENDER_LOCKS = 0x4D41_494C  # "MAIL": first key of every sender's advisory lock

MIGRATIONS = (
    """
    CREATE TABLE subscribers (
        id BIGSERIAL PRIMARY KEY,
        list_id TEXT NOT NULL,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('active', 'unsubscribed', 'bounced')),
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        UNIQUE (list_id, email_key)
    );
    CREATE TABLE issues (
        id BIGSERIAL PRIMARY KEY,
        list_id TEXT NOT NULL,
        number INTEGER NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        newest TEXT NOT NULL,
        articles INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'sent')),
        created TEXT NOT NULL,
        UNIQUE (list_id, number)
    );
    CREATE TABLE deliveries (
        issue_id BIGINT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        updated TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        deferred_since DOUBLE PRECISION,
        lease_owner TEXT,
        lease_until DOUBLE PRECISION,
        lease_token BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (issue_id, subscriber_id)
    );
    CREATE INDEX deliveries_pending ON deliveries (issue_id, subscriber_id)
        WHERE status = 'pending';
    CREATE INDEX deliveries_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL
    """,
)

_Q = {name: named(query) for name, query in SQL.items()}
_CLAIM = named(claim_sql("FOR UPDATE OF d SKIP LOCKED"))
_RELEASE_GONE = named(f"""
UPDATE deliveries SET lease_owner = NULL, lease_until = NULL
WHERE lease_owner IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM pg_locks AS l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.classid = {SENDER_LOCKS}::oid AND l.objid = hashtext(lease_owner)::oid
)
""")


class PgMailingStore(SqlMailingStore):
    """Lists, subscribers and sends in the `syndicate_mail` schema of the state database."""

    def __init__(self, url: str, *, retry_for: float = 120.0) -> None:
        self.session = PgSession(url, SCHEMA, MIGRATIONS, retry_for=retry_for)

    def close(self) -> None:
        self.session.close()

    def _one(self, name: str, **params: object) -> Sequence[object] | None:
        return self.session.run(lambda conn: conn.execute(_Q[name], params).fetchone(), atomic=True)

    def _all(self, name: str, **params: object) -> list[Sequence[object]]:
        rows = self.session.run(lambda conn: conn.execute(_Q[name], params).fetchall(), atomic=True)
        return list(rows)

    def _write(self, name: str, **params: object) -> int:
        # One statement is its own transaction: no BEGIN/COMMIT round trips.
        return self.session.run(lambda conn: conn.execute(_Q[name], params).rowcount, atomic=True)

    # subscribers

    def add_subscriber(self, list_id: str, email: str, name: str = "") -> tuple[Subscriber, bool]:
        key = email.casefold()
        params = {"list": list_id, "email": email, "key": key, "name": name, "now": now_text()}

        def work(conn: Conn) -> tuple[Subscriber, bool]:
            created = conn.execute(_Q["add_subscriber"], params).rowcount == 1
            row = conn.execute(_Q["find_subscriber"], params).fetchone()
            assert row is not None
            return subscriber_of(row), created

        return self.session.run(work)

    # issues

    def save_draft(
        self, list_id: str, subject: str, body: str, newest: datetime, articles: int
    ) -> Issue:
        params = {"list": list_id, "subject": subject, "body": body, "articles": articles}
        params |= {"newest": newest.isoformat(), "now": now_text()}

        def work(conn: Conn) -> Issue:
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SENDER_LOCKS, list_id))
            sending = conn.execute(_Q["sending_issue"], params).fetchone()
            if sending is not None:
                return issue_of(sending)
            conn.execute(_Q["delete_draft"], params)
            row = conn.execute(_Q["insert_draft"], params).fetchone()
            assert row is not None
            return issue_of(row)

        return self.session.run(work)

    def start_sending(self, issue_id: int) -> None:
        def work(conn: Conn) -> None:
            # Under `save_draft`'s lock: a sender saving a draft while this issue turns
            # from draft to sending would not see it sending yet, wait for its row, then
            # save a second issue beside it, and every subscriber would get both.
            found = conn.execute("SELECT list_id FROM issues WHERE id = %s", (issue_id,))
            row = found.fetchone()
            if row is None:
                return  # replaced by another sender's draft: that one is sent
            conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (SENDER_LOCKS, row[0]))
            conn.execute(_Q["start_issue"], {"issue": issue_id})
            conn.execute(_Q["queue_copies"], {"issue": issue_id, "now": now_text()})

        self.session.run(work)

    # sending

    def register(self, owner: str) -> None:
        """Hold this sender's advisory lock for as long as its connection lives."""

        def lock(conn: Conn) -> None:
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (SENDER_LOCKS, owner))

        self.session.on_connect(lock)
        self.session.run(lambda conn: None)

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        """Release copies leased by senders whose connection (and lock) is gone."""
        return self.session.run(lambda conn: conn.execute(_RELEASE_GONE).rowcount)

    def claim(
        self, issue_id: int, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        params = {"issue": issue_id, "owner": owner, "until": now + lease, "now": now}

        def work(conn: Conn) -> list[Delivery]:
            conn.execute(_CLAIM, {**params, "limit": limit})
            return [delivery_of(row) for row in conn.execute(_Q["claimed"], params).fetchall()]

        return self.session.run(work)

    def release(self, deliveries: Iterable[Delivery]) -> None:
        keys = [copy_key(d) for d in deliveries]
        if keys:
            self.session.run(lambda conn: conn.cursor().executemany(_Q["release"], keys))

    def finish_if_done(self, issue_id: int) -> bool:
        def work(conn: Conn) -> bool:
            conn.execute(_Q["finish"], {"issue": issue_id})
            row = conn.execute(_Q["issue_status"], {"issue": issue_id}).fetchone()
            return bool(row and row[0] == "sent")

        return self.session.run(work)
