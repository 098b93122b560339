"""The newsletter's delivery state: subscribers, issues and per-(issue, subscriber) sends.

`MailingStore` is the interface; `SqliteMailingStore` is the embedded default and
`PgMailingStore` (pg_mailing.py) the PostgreSQL one, sharing the SQL below. Every state
change is its own transaction, which is what makes "sent" durable the moment the SMTP
server has accepted a message. Senders claim batches of copies with a lease and a fencing
token, so any number of `newsletter send` processes can share one issue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    token: int = 0  # fencing token of the claim: outcomes are recorded only with it


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
        """Create the list's next issue as a draft, replacing an unsent draft.

        If another sender started an issue meanwhile, that one is returned unchanged:
        a list has at most one issue being sent.
        """
        ...

    def start_sending(self, issue_id: int) -> None:
        """Freeze the issue and queue it for every subscriber active now (idempotent)."""
        ...

    def register(self, owner: str) -> None:
        """Announce a sender, so others can tell when it has died."""
        ...

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        """Drop the leases of senders known to be dead, so their copies are due now."""
        ...

    def claim(
        self, issue_id: int, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        """Lease up to `limit` due pending copies of the issue (subscribers as they are now)."""
        ...

    def record(self, delivery: Delivery, status: DeliveryStatus, error: str = "") -> bool:
        """Durably record a claimed copy's outcome (counts an attempt); False: lease lost."""
        ...

    def defer(self, delivery: Delivery, error: str, *, now: float, due_at: float) -> bool:
        """Record a temporary refusal: try again at `due_at` (counts an attempt)."""
        ...

    def release(self, deliveries: Iterable[Delivery]) -> None:
        """Give back claimed copies that were not attempted."""
        ...

    def next_due(self, issue_id: int) -> float | None:
        """When the issue's next deferred copy may be tried (None: none waiting)."""
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
    # Leases and fencing tokens: several senders share one issue.
    """
    ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until REAL;
    ALTER TABLE deliveries ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0
    """,
)

# SQL shared with the PostgreSQL store (`:name` parameters; see postgres.named).
SUB_COLS = "s.id, s.list_id, s.email, s.name, s.status, s.created"
ISSUE_COLS = "id, list_id, number, subject, body, newest, articles, status, created"
SQL = {
    "add_subscriber": "INSERT INTO subscribers (list_id, email, email_key, name, created, "
    "updated) VALUES (:list, :email, :key, :name, :now, :now) "
    "ON CONFLICT (list_id, email_key) DO NOTHING",
    "find_subscriber": f"SELECT {SUB_COLS} FROM subscribers AS s "
    "WHERE s.list_id = :list AND s.email_key = :key",
    "get_subscriber": f"SELECT {SUB_COLS} FROM subscribers AS s WHERE s.id = :id",
    "subscribers": f"SELECT {SUB_COLS} FROM subscribers AS s WHERE s.list_id = :list ORDER BY s.id",
    "subscribers_with": f"SELECT {SUB_COLS} FROM subscribers AS s WHERE s.list_id = :list "
    "AND s.status = :status ORDER BY s.id",
    "set_status": "UPDATE subscribers SET status = :status, updated = :now WHERE id = :id",
    "remove_subscriber": "DELETE FROM subscribers WHERE id = :id",
    "newest_covered": "SELECT newest FROM issues WHERE list_id = :list AND status != 'draft'",
    "open_issue": f"SELECT {ISSUE_COLS} FROM issues WHERE list_id = :list "
    "AND status != 'sent' ORDER BY (status = 'sending') DESC, number LIMIT 1",
    "next_number": "SELECT COALESCE(MAX(number), 0) + 1 FROM issues WHERE list_id = :list "
    "AND status != 'draft'",
    "sending_issue": f"SELECT {ISSUE_COLS} FROM issues WHERE list_id = :list "
    "AND status = 'sending' LIMIT 1",
    "delete_draft": "DELETE FROM issues WHERE list_id = :list AND status = 'draft'",
    "insert_draft": "INSERT INTO issues (list_id, number, subject, body, newest, articles, "
    "status, created) SELECT :list, COALESCE(MAX(number), 0) + 1, :subject, :body, :newest, "
    f":articles, 'draft', :now FROM issues WHERE list_id = :list RETURNING {ISSUE_COLS}",
    "start_issue": "UPDATE issues SET status = 'sending' WHERE id = :issue AND status = 'draft'",
    "queue_copies": "INSERT INTO deliveries (issue_id, subscriber_id, updated) "
    "SELECT i.id, s.id, :now FROM issues AS i JOIN subscribers AS s ON s.list_id = i.list_id "
    "WHERE i.id = :issue AND i.status = 'sending' AND s.status = 'active' "
    "ON CONFLICT (issue_id, subscriber_id) DO NOTHING",
    "claimed": f"SELECT {SUB_COLS}, d.issue_id, d.status, d.attempts, d.error, "
    "d.deferred_since, d.lease_token FROM deliveries AS d JOIN subscribers AS s "
    "ON s.id = d.subscriber_id WHERE d.issue_id = :issue AND d.lease_owner = :owner "
    "AND d.lease_until = :until AND d.status = 'pending' ORDER BY s.id",
    "record": "UPDATE deliveries SET status = :status, error = :error, "
    "attempts = attempts + 1, updated = :now, lease_owner = NULL, lease_until = NULL "
    "WHERE issue_id = :issue AND subscriber_id = :subscriber AND lease_token = :token "
    "AND status = 'pending'",
    "defer": "UPDATE deliveries SET error = :error, attempts = attempts + 1, due_at = :due_at, "
    "deferred_since = COALESCE(deferred_since, :at), updated = :now, lease_owner = NULL, "
    "lease_until = NULL WHERE issue_id = :issue AND subscriber_id = :subscriber "
    "AND lease_token = :token AND status = 'pending'",
    "release": "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
    "WHERE issue_id = :issue AND subscriber_id = :subscriber AND lease_token = :token",
    "release_owner": "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
    "WHERE lease_owner = :owner",
    "owners": "SELECT DISTINCT lease_owner FROM deliveries WHERE lease_owner IS NOT NULL",
    "next_due": "SELECT MIN(due_at) FROM deliveries WHERE issue_id = :issue AND status = 'pending'",
    "finish": "UPDATE issues SET status = 'sent' WHERE id = :issue AND status = 'sending' AND "
    "NOT EXISTS (SELECT 1 FROM deliveries WHERE issue_id = :issue AND status = 'pending')",
    "issue_status": "SELECT status FROM issues WHERE id = :issue",
    "counts": "SELECT status, COUNT(*) FROM deliveries WHERE issue_id = :issue GROUP BY status",
}


def claim_sql(lock: str) -> str:
    """The claim statement; PostgreSQL adds `FOR UPDATE SKIP LOCKED` as `lock`."""
    return (
        "UPDATE deliveries SET lease_owner = :owner, lease_until = :until, "
        "lease_token = lease_token + 1 WHERE (issue_id, subscriber_id) IN ("
        "SELECT d.issue_id, d.subscriber_id FROM deliveries AS d WHERE d.issue_id = :issue "
        "AND d.status = 'pending' AND d.due_at <= :now "
        "AND (d.lease_until IS NULL OR d.lease_until < :now) "
        f"ORDER BY d.subscriber_id LIMIT :limit {lock})"
    )


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def subscriber_of(row: Sequence[object]) -> Subscriber:
    id_, list_id, email, name, status, created = row[:6]
    return Subscriber(
        id=int(id_),  # type: ignore[call-overload]
        list_id=str(list_id),
        email=str(email),
        name=str(name),
        status=status,  # type: ignore[arg-type]
        created=datetime.fromisoformat(str(created)),
    )


def issue_of(row: Sequence[object]) -> Issue:
    id_, list_id, number, subject, body, newest, articles, status, created = row
    return Issue(
        id=int(id_),  # type: ignore[call-overload]
        list_id=str(list_id),
        number=int(number),  # type: ignore[call-overload]
        subject=str(subject),
        body=str(body),
        newest=datetime.fromisoformat(str(newest)),
        articles=int(articles),  # type: ignore[call-overload]
        status=status,  # type: ignore[arg-type]
        created=datetime.fromisoformat(str(created)),
    )


def delivery_of(row: Sequence[object]) -> Delivery:
    """A claimed copy from the `claimed` query's row."""
    issue_id, status, attempts, error, deferred_since, token = row[6:]
    return Delivery(
        issue_id=int(issue_id),  # type: ignore[call-overload]
        subscriber=subscriber_of(row),
        status=status,  # type: ignore[arg-type]
        attempts=int(attempts),  # type: ignore[call-overload]
        error=str(error),
        deferred_since=None if deferred_since is None else float(deferred_since),  # type: ignore[arg-type]
        token=int(token),  # type: ignore[call-overload]
    )


def copy_key(delivery: Delivery) -> dict[str, object]:
    return {
        "issue": delivery.issue_id,
        "subscriber": delivery.subscriber.id,
        "token": delivery.token,
    }


class SqlMailingStore:
    """The store methods that are one shared statement; subclasses run statements."""

    def _one(self, name: str, **params: object) -> Sequence[object] | None:
        raise NotImplementedError

    def _all(self, name: str, **params: object) -> list[Sequence[object]]:
        raise NotImplementedError

    def _write(self, name: str, **params: object) -> int:
        raise NotImplementedError

    def find_subscriber(self, list_id: str, email: str) -> Subscriber | None:
        row = self._one("find_subscriber", list=list_id, key=email.casefold())
        return subscriber_of(row) if row else None

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        row = self._one("get_subscriber", id=subscriber_id)
        return subscriber_of(row) if row else None

    def subscribers(self, list_id: str, status: SubscriberStatus | None = None) -> list[Subscriber]:
        name = "subscribers" if status is None else "subscribers_with"
        return [subscriber_of(row) for row in self._all(name, list=list_id, status=status)]

    def set_status(self, subscriber_id: int, status: SubscriberStatus) -> None:
        self._write("set_status", status=status, now=now_text(), id=subscriber_id)

    def remove_subscriber(self, subscriber_id: int) -> None:
        self._write("remove_subscriber", id=subscriber_id)

    def newest_covered(self, list_id: str) -> datetime | None:
        rows = self._all("newest_covered", list=list_id)
        dates = [datetime.fromisoformat(str(row[0])) for row in rows]
        return max(dates) if dates else None

    def open_issue(self, list_id: str) -> Issue | None:
        row = self._one("open_issue", list=list_id)
        return issue_of(row) if row else None

    def next_number(self, list_id: str) -> int:
        row = self._one("next_number", list=list_id)
        return int(row[0]) if row else 1  # type: ignore[call-overload]

    def record(self, delivery: Delivery, status: DeliveryStatus, error: str = "") -> bool:
        params = {**copy_key(delivery), "status": status, "error": error, "now": now_text()}
        return self._write("record", **params) == 1

    def defer(self, delivery: Delivery, error: str, *, now: float, due_at: float) -> bool:
        params = {**copy_key(delivery), "error": error, "due_at": due_at, "at": now}
        return self._write("defer", **params, now=now_text()) == 1

    def next_due(self, issue_id: int) -> float | None:
        row = self._one("next_due", issue=issue_id)
        return None if row is None or row[0] is None else float(row[0])  # type: ignore[arg-type]

    def counts(self, issue_id: int) -> dict[str, int]:
        rows = self._all("counts", issue=issue_id)
        return {str(row[0]): int(row[1]) for row in rows}  # type: ignore[call-overload]


class SqliteMailingStore(SqlMailingStore):
    """The embedded store (one file, WAL): good for lists up to a few hundred thousand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path, migrations=MIGRATIONS)

    def close(self) -> None:
        self.conn.close()

    def _one(self, name: str, **params: object) -> Sequence[object] | None:
        row = self.conn.execute(SQL[name], params).fetchone()
        return None if row is None else tuple(row)

    def _all(self, name: str, **params: object) -> list[Sequence[object]]:
        return [tuple(row) for row in self.conn.execute(SQL[name], params)]

    def _write(self, name: str, **params: object) -> int:
        with transaction(self.conn):
            return self.conn.execute(SQL[name], params).rowcount

    # subscribers

    def add_subscriber(self, list_id: str, email: str, name: str = "") -> tuple[Subscriber, bool]:
        key = email.casefold()
        with transaction(self.conn):
            cursor = self.conn.execute(
                SQL["add_subscriber"],
                {"list": list_id, "email": email, "key": key, "name": name, "now": now_text()},
            )
            row = self.conn.execute(SQL["find_subscriber"], {"list": list_id, "key": key})
            return subscriber_of(tuple(row.fetchone())), cursor.rowcount == 1

    # issues

    def save_draft(
        self, list_id: str, subject: str, body: str, newest: datetime, articles: int
    ) -> Issue:
        params = {"list": list_id, "subject": subject, "body": body, "articles": articles}
        params |= {"newest": newest.isoformat(), "now": now_text()}
        with transaction(self.conn):  # BEGIN IMMEDIATE: one writer at a time
            sending = self.conn.execute(SQL["sending_issue"], params).fetchone()
            if sending is not None:
                return issue_of(tuple(sending))
            self.conn.execute(SQL["delete_draft"], params)
            return issue_of(tuple(self.conn.execute(SQL["insert_draft"], params).fetchone()))

    def start_sending(self, issue_id: int) -> None:
        with transaction(self.conn):
            self.conn.execute(SQL["start_issue"], {"issue": issue_id})
            self.conn.execute(SQL["queue_copies"], {"issue": issue_id, "now": now_text()})

    # sending

    def register(self, owner: str) -> None:
        """Nothing to do: on one host, `release_owners` asks whether the process runs."""

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        owners = [str(row[0]) for row in self.conn.execute(SQL["owners"])]
        released = 0
        for owner in owners:
            if is_gone(owner):
                released += self._write("release_owner", owner=owner)
        return released

    def claim(
        self, issue_id: int, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        params = {"issue": issue_id, "owner": owner, "until": now + lease, "now": now}
        with transaction(self.conn):
            self.conn.execute(claim_sql(""), {**params, "limit": limit})
            rows = self.conn.execute(SQL["claimed"], params).fetchall()
        return [delivery_of(tuple(row)) for row in rows]

    def release(self, deliveries: Iterable[Delivery]) -> None:
        keys = [copy_key(d) for d in deliveries]
        if keys:
            with transaction(self.conn):
                self.conn.executemany(SQL["release"], keys)

    def finish_if_done(self, issue_id: int) -> bool:
        with transaction(self.conn):
            self.conn.execute(SQL["finish"], {"issue": issue_id})
            row = self.conn.execute(SQL["issue_status"], {"issue": issue_id}).fetchone()
        return bool(row and row[0] == "sent")
