"""The newsletter's delivery state: subscribers, issues and per-(issue, subscriber) sends.

`MailingStore` is deliberately small so a server database could replace the embedded
SQLite one; `SqliteMailingStore` commits every state change on its own, which is what
makes "sent" durable the moment the SMTP server has accepted a message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from .sqlite import connect, transaction

SubscriberStatus = Literal["active", "unsubscribed", "bounced"]
IssueStatus = Literal["draft", "sending", "sent"]
DeliveryStatus = Literal["pending", "sent", "failed", "skipped"]
SUBSCRIBER_STATUSES: tuple[SubscriberStatus, ...] = ("active", "unsubscribed", "bounced")


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    list_id: str
    email: str
    name: str
    status: SubscriberStatus
    created: datetime


@dataclass(frozen=True, slots=True)
class Issue:
    """One built digest of a list; its text is frozen once sending starts."""

    id: int
    list_id: str
    number: int
    subject: str
    body: str
    newest: datetime  # the newest article date covered: the next issue starts after it
    articles: int
    status: IssueStatus
    created: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    issue_id: int
    subscriber: Subscriber
    status: DeliveryStatus
    attempts: int
    error: str
    deferred_since: float | None = None  # when the first temporary refusal came back


class MailingStore(Protocol):
    """What the newsletter needs from a store; every method is its own transaction."""

    def add_subscriber(self, list_id: str, email: str, name: str = "") -> tuple[Subscriber, bool]:
        """Add an active subscriber; an existing address is returned unchanged (False)."""
        ...

    def find_subscriber(self, list_id: str, email: str) -> Subscriber | None: ...

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    def subscribers(
        self, list_id: str, status: SubscriberStatus | None = None
    ) -> list[Subscriber]: ...

    def set_status(self, subscriber_id: int, status: SubscriberStatus) -> None: ...

    def remove_subscriber(self, subscriber_id: int) -> None:
        """Erase the subscriber and its delivery history (a data-erasure request)."""
        ...

    def newest_covered(self, list_id: str) -> datetime | None:
        """The newest article date of the list's issues that were (being) sent."""
        ...

    def open_issue(self, list_id: str) -> Issue | None:
        """The list's draft or partly sent issue, if any."""
        ...

    def next_number(self, list_id: str) -> int:
        """The number the list's next new issue gets."""
        ...

    def save_draft(
        self, list_id: str, subject: str, body: str, newest: datetime, articles: int
    ) -> Issue:
        """Create the list's next issue as a draft, replacing an unsent draft."""
        ...

    def start_sending(self, issue_id: int) -> None:
        """Freeze the issue and queue it for every subscriber active now (idempotent)."""
        ...

    def pending(self, issue_id: int, *, now: float | None = None) -> list[Delivery]:
        """Pending deliveries, only those due by `now` when it is given."""
        ...

    def record(
        self, issue_id: int, subscriber_id: int, status: DeliveryStatus, error: str = ""
    ) -> None:
        """Durably record one delivery's outcome (counts an attempt)."""
        ...

    def defer(
        self, issue_id: int, subscriber_id: int, error: str, *, now: float, due_at: float
    ) -> None:
        """Record a temporary refusal: try again at `due_at` (counts an attempt)."""
        ...

    def next_due(self, issue_id: int) -> float | None:
        """When the issue's next deferred delivery may be tried (None: none waiting)."""
        ...

    def finish_if_done(self, issue_id: int) -> bool:
        """Mark the issue sent when nothing is pending; True if it is now sent."""
        ...

    def counts(self, issue_id: int) -> dict[str, int]: ...

    def close(self) -> None: ...


MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
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
        id INTEGER PRIMARY KEY,
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
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        updated TEXT NOT NULL,
        PRIMARY KEY (issue_id, subscriber_id)
    );
    CREATE INDEX deliveries_pending ON deliveries (issue_id, status)
    """,
    # Temporary refusals (4xx) wait for a retry time instead of the next rerun.
    """
    ALTER TABLE deliveries ADD COLUMN due_at REAL NOT NULL DEFAULT 0;
    ALTER TABLE deliveries ADD COLUMN deferred_since REAL
    """,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        id=row["id"],
        list_id=row["list_id"],
        email=row["email"],
        name=row["name"],
        status=row["status"],
        created=datetime.fromisoformat(row["created"]),
    )


def _issue(row: sqlite3.Row) -> Issue:
    return Issue(
        id=row["id"],
        list_id=row["list_id"],
        number=row["number"],
        subject=row["subject"],
        body=row["body"],
        newest=datetime.fromisoformat(row["newest"]),
        articles=row["articles"],
        status=row["status"],
        created=datetime.fromisoformat(row["created"]),
    )


class SqliteMailingStore:
    """The embedded store (one file, WAL): good for lists up to a few hundred thousand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path, migrations=MIGRATIONS)

    def close(self) -> None:
        self.conn.close()

    # subscribers

    def add_subscriber(self, list_id: str, email: str, name: str = "") -> tuple[Subscriber, bool]:
        with transaction(self.conn):
            now = _now()
            cursor = self.conn.execute(
                "INSERT INTO subscribers (list_id, email, email_key, name, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (list_id, email_key) DO NOTHING",
                (list_id, email, email.casefold(), name, now, now),
            )
            created = cursor.rowcount == 1
            row = self.conn.execute(
                "SELECT * FROM subscribers WHERE list_id = ? AND email_key = ?",
                (list_id, email.casefold()),
            ).fetchone()
        return _subscriber(row), created

    def find_subscriber(self, list_id: str, email: str) -> Subscriber | None:
        row = self.conn.execute(
            "SELECT * FROM subscribers WHERE list_id = ? AND email_key = ?",
            (list_id, email.casefold()),
        ).fetchone()
        return _subscriber(row) if row else None

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        row = self.conn.execute(
            "SELECT * FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        return _subscriber(row) if row else None

    def subscribers(self, list_id: str, status: SubscriberStatus | None = None) -> list[Subscriber]:
        if status is None:
            rows = self.conn.execute(
                "SELECT * FROM subscribers WHERE list_id = ? ORDER BY id", (list_id,)
            )
        else:
            rows = self.conn.execute(
                "SELECT * FROM subscribers WHERE list_id = ? AND status = ? ORDER BY id",
                (list_id, status),
            )
        return [_subscriber(row) for row in rows]

    def set_status(self, subscriber_id: int, status: SubscriberStatus) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE subscribers SET status = ?, updated = ? WHERE id = ?",
                (status, _now(), subscriber_id),
            )

    def remove_subscriber(self, subscriber_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))

    # issues

    def newest_covered(self, list_id: str) -> datetime | None:
        rows = self.conn.execute(
            "SELECT newest FROM issues WHERE list_id = ? AND status != 'draft'", (list_id,)
        )
        dates = [datetime.fromisoformat(row["newest"]) for row in rows]
        return max(dates) if dates else None

    def open_issue(self, list_id: str) -> Issue | None:
        row = self.conn.execute(
            "SELECT * FROM issues WHERE list_id = ? AND status != 'sent' "
            "ORDER BY (status = 'sending') DESC, number LIMIT 1",
            (list_id,),
        ).fetchone()
        return _issue(row) if row else None

    def next_number(self, list_id: str) -> int:
        row = self.conn.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM issues WHERE list_id = ? "
            "AND status != 'draft'",
            (list_id,),
        ).fetchone()
        return int(row[0])

    def save_draft(
        self, list_id: str, subject: str, body: str, newest: datetime, articles: int
    ) -> Issue:
        with transaction(self.conn):
            self.conn.execute(
                "DELETE FROM issues WHERE list_id = ? AND status = 'draft'", (list_id,)
            )
            number = self.conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM issues WHERE list_id = ?", (list_id,)
            ).fetchone()[0]
            cursor = self.conn.execute(
                "INSERT INTO issues (list_id, number, subject, body, newest, articles, status, "
                "created) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?)",
                (list_id, number, subject, body, newest.isoformat(), articles, _now()),
            )
            row = self.conn.execute(
                "SELECT * FROM issues WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _issue(row)

    def start_sending(self, issue_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE issues SET status = 'sending' WHERE id = ? AND status = 'draft'",
                (issue_id,),
            )
            self.conn.execute(
                "INSERT INTO deliveries (issue_id, subscriber_id, updated) "
                "SELECT i.id, s.id, ? FROM issues i JOIN subscribers s ON s.list_id = i.list_id "
                "WHERE i.id = ? AND i.status = 'sending' AND s.status = 'active' "
                "ON CONFLICT (issue_id, subscriber_id) DO NOTHING",
                (_now(), issue_id),
            )

    def pending(self, issue_id: int, *, now: float | None = None) -> list[Delivery]:
        rows = self.conn.execute(
            "SELECT s.*, d.issue_id, d.status AS delivery_status, d.attempts, d.error, "
            "d.deferred_since FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id "
            "WHERE d.issue_id = ? AND d.status = 'pending' AND d.due_at <= ? ORDER BY s.id",
            (issue_id, float("inf") if now is None else now),
        )
        return [
            Delivery(
                issue_id=row["issue_id"],
                subscriber=_subscriber(row),
                status=row["delivery_status"],
                attempts=row["attempts"],
                error=row["error"],
                deferred_since=row["deferred_since"],
            )
            for row in rows
        ]

    def defer(
        self, issue_id: int, subscriber_id: int, error: str, *, now: float, due_at: float
    ) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE deliveries SET error = ?, attempts = attempts + 1, due_at = ?, "
                "deferred_since = COALESCE(deferred_since, ?), updated = ? "
                "WHERE issue_id = ? AND subscriber_id = ? AND status = 'pending'",
                (error, due_at, now, _now(), issue_id, subscriber_id),
            )

    def next_due(self, issue_id: int) -> float | None:
        row = self.conn.execute(
            "SELECT MIN(due_at) FROM deliveries WHERE issue_id = ? AND status = 'pending'",
            (issue_id,),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def record(
        self, issue_id: int, subscriber_id: int, status: DeliveryStatus, error: str = ""
    ) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE deliveries SET status = ?, error = ?, attempts = attempts + 1, "
                "updated = ? WHERE issue_id = ? AND subscriber_id = ?",
                (status, error, _now(), issue_id, subscriber_id),
            )

    def finish_if_done(self, issue_id: int) -> bool:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE issues SET status = 'sent' WHERE id = ? AND status = 'sending' AND "
                "NOT EXISTS (SELECT 1 FROM deliveries WHERE issue_id = ? AND status = 'pending')",
                (issue_id, issue_id),
            )
            row = self.conn.execute(
                "SELECT status FROM issues WHERE id = ?", (issue_id,)
            ).fetchone()
        return bool(row and row["status"] == "sent")

    def counts(self, issue_id: int) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT status, COUNT(*) AS n FROM deliveries WHERE issue_id = ? GROUP BY status",
            (issue_id,),
        )
        return {row["status"]: row["n"] for row in rows}
