"""The push outbox: which article versions each partner must receive, and how that went.

`Outbox` is the small interface the push channel talks to; `SqliteOutbox` is the embedded
default. A server database for a distributed worker pool only needs another class with
these methods: claims are leases with an expiry, so a killed worker's work comes back by
itself, and every state change is one short transaction keyed by the delivery id.

Nothing secret is stored: payloads are the article as sent, signatures are computed at
send time.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from .sqlite import connect, transaction

PubStatus = Literal["usable", "withheld", "canceled"]
State = Literal["pending", "delivered", "dead"]


@dataclass(frozen=True, slots=True)
class Recorded:
    """The last version of one article recorded for one partner."""

    uid: str
    version: int
    content_hash: str
    pubstatus: PubStatus
    meta: str  # JSON the channel keeps to describe a withdrawn article (title, url...)


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One article version to send to one partner, with the payload as it will be sent."""

    partner: str
    uid: str
    version: int
    content_hash: str
    pubstatus: PubStatus
    meta: str
    webhook_id: str
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed delivery, handed to a worker until it reports the outcome."""

    id: int
    webhook_id: str
    partner: str
    uid: str
    version: int
    content_type: str
    body: bytes
    attempts: int  # finished attempts before this one
    created_at: float


@dataclass(frozen=True, slots=True)
class PartnerStats:
    partner: str
    pending: int  # never attempted yet
    retrying: int  # attempted, will be tried again
    delivered: int
    dead: int
    oldest_pending_at: float | None  # created_at of the oldest undelivered, not dead row


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    partner: str
    uid: str
    version: int
    attempts: int
    last_status: int | None
    last_error: str


class Outbox(Protocol):
    """Durable delivery state for partner push (at-least-once, one row per delivery)."""

    def recorded(self, partner: str) -> Mapping[str, Recorded]:
        """Last recorded version of every article ever enqueued for `partner`, by uid."""
        ...

    def enqueue(self, items: Sequence[NewDelivery], *, now: float) -> int:
        """Record the versions and add their deliveries, all or nothing; returns rows added."""
        ...

    def claim(
        self, partner: str, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        """Lease up to `limit` due deliveries of `partner`, oldest first.

        A delivery waits while an older version of the same article is still pending,
        so each partner sees an article's versions in order.
        """
        ...

    def mark_delivered(self, delivery_id: int, *, status: int, now: float) -> None: ...

    def mark_retry(
        self, delivery_id: int, *, owner: str, due_at: float, status: int | None, error: str
    ) -> None: ...

    def mark_dead(
        self, delivery_id: int, *, owner: str, status: int | None, error: str, now: float
    ) -> None: ...

    def release(self, delivery_ids: Iterable[int], *, owner: str) -> None:
        """Give back claimed deliveries that were not attempted (e.g. on shutdown)."""
        ...

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        """Drop the leases of workers `is_gone` says are dead, so their work is due now."""
        ...

    def requeue_dead(self, *, partner: str | None, now: float) -> int: ...

    def dead_letters(self, *, partner: str | None, limit: int) -> list[DeadLetter]: ...

    def stats(self) -> list[PartnerStats]: ...

    def next_due(self, partners: Sequence[str]) -> float | None:
        """When the next pending delivery of these partners becomes due (None: nothing left)."""
        ...

    def close(self) -> None: ...


MIGRATIONS = [
    """
    CREATE TABLE recorded (
        partner TEXT NOT NULL,
        uid TEXT NOT NULL,
        version INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        pubstatus TEXT NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (partner, uid)
    ) WITHOUT ROWID;
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        webhook_id TEXT NOT NULL UNIQUE,
        partner TEXT NOT NULL,
        uid TEXT NOT NULL,
        version INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        body BLOB NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        due_at REAL NOT NULL,
        lease_owner TEXT,
        lease_until REAL,
        finished_at REAL,
        last_status INTEGER,
        last_error TEXT NOT NULL DEFAULT '',
        UNIQUE (partner, uid, version)
    );
    CREATE INDEX deliveries_due ON deliveries (partner, state, due_at);
    CREATE INDEX deliveries_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL
    """,
]

_CLAIM = """
UPDATE deliveries SET lease_owner = :owner, lease_until = :until
WHERE id IN (
    SELECT d.id FROM deliveries AS d
    WHERE d.partner = :partner AND d.state = 'pending' AND d.due_at <= :now
      AND (d.lease_until IS NULL OR d.lease_until < :now)
      AND NOT EXISTS (
          SELECT 1 FROM deliveries AS older
          WHERE older.partner = d.partner AND older.uid = d.uid
            AND older.version < d.version AND older.state = 'pending'
      )
    ORDER BY d.due_at, d.id
    LIMIT :limit
)
RETURNING id, webhook_id, partner, uid, version, content_type, body, attempts, created_at
"""


class SqliteOutbox:
    """The embedded outbox: one SQLite file in WAL mode, safe across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection = connect(path, migrations=MIGRATIONS)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqliteOutbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recorded(self, partner: str) -> dict[str, Recorded]:
        rows = self._conn.execute(
            "SELECT uid, version, content_hash, pubstatus, meta FROM recorded WHERE partner = ?",
            (partner,),
        )
        return {row[0]: Recorded(*row) for row in rows}

    def enqueue(self, items: Sequence[NewDelivery], *, now: float) -> int:
        if not items:
            return 0
        with transaction(self._conn) as conn:
            conn.executemany(
                "INSERT INTO recorded (partner, uid, version, content_hash, pubstatus, meta) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (partner, uid) DO UPDATE SET "
                "version = excluded.version, content_hash = excluded.content_hash, "
                "pubstatus = excluded.pubstatus, meta = excluded.meta "
                "WHERE excluded.version > recorded.version",
                [(i.partner, i.uid, i.version, i.content_hash, i.pubstatus, i.meta) for i in items],
            )
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO deliveries (webhook_id, partner, uid, version, "
                "content_type, body, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (i.webhook_id, i.partner, i.uid, i.version, i.content_type, i.body, now, now)
                    for i in items
                ],
            )
            return conn.total_changes - before

    def claim(
        self, partner: str, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        if limit <= 0:
            return []
        params = {"owner": owner, "until": now + lease, "partner": partner, "now": now}
        with transaction(self._conn) as conn:
            rows = conn.execute(_CLAIM, {**params, "limit": limit}).fetchall()
        deliveries = [
            Delivery(
                id=row["id"],
                webhook_id=row["webhook_id"],
                partner=row["partner"],
                uid=row["uid"],
                version=row["version"],
                content_type=row["content_type"],
                body=bytes(row["body"]),
                attempts=row["attempts"],
                created_at=row["created_at"],
            )
            for row in rows
        ]
        deliveries.sort(key=lambda d: d.id)
        return deliveries

    def mark_delivered(self, delivery_id: int, *, status: int, now: float) -> None:
        # A 2xx is the truth even if our lease lapsed meanwhile; never resurrect a dead row.
        with transaction(self._conn) as conn:
            conn.execute(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, "
                "finished_at = ?, last_status = ?, last_error = '', lease_owner = NULL, "
                "lease_until = NULL WHERE id = ? AND state = 'pending'",
                (now, status, delivery_id),
            )

    def mark_retry(
        self, delivery_id: int, *, owner: str, due_at: float, status: int | None, error: str
    ) -> None:
        with transaction(self._conn) as conn:
            conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, due_at = ?, last_status = ?, "
                "last_error = ?, lease_owner = NULL, lease_until = NULL "
                "WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                (due_at, status, error, delivery_id, owner),
            )

    def mark_dead(
        self, delivery_id: int, *, owner: str, status: int | None, error: str, now: float
    ) -> None:
        with transaction(self._conn) as conn:
            conn.execute(
                "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, "
                "finished_at = ?, last_status = ?, last_error = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE id = ? AND state = 'pending' AND lease_owner = ?",
                (now, status, error, delivery_id, owner),
            )

    def release(self, delivery_ids: Iterable[int], *, owner: str) -> None:
        ids = [(i, owner) for i in delivery_ids]
        if not ids:
            return
        with transaction(self._conn) as conn:
            conn.executemany(
                "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
                "WHERE id = ? AND lease_owner = ?",
                ids,
            )

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        owners = [
            row[0]
            for row in self._conn.execute(
                "SELECT DISTINCT lease_owner FROM deliveries WHERE lease_owner IS NOT NULL"
            )
        ]
        gone = [(o,) for o in owners if is_gone(o)]
        if not gone:
            return 0
        with transaction(self._conn) as conn:
            before = conn.total_changes
            conn.executemany(
                "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
                "WHERE lease_owner = ?",
                gone,
            )
            return conn.total_changes - before

    def requeue_dead(self, *, partner: str | None, now: float) -> int:
        where, params = "state = 'dead'", [now]
        if partner is not None:
            where += " AND partner = ?"
            params.append(partner)  # type: ignore[arg-type]
        with transaction(self._conn) as conn:
            cursor = conn.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, due_at = ?, "
                f"finished_at = NULL WHERE {where}",
                params,
            )
            return cursor.rowcount

    def dead_letters(self, *, partner: str | None, limit: int) -> list[DeadLetter]:
        where, params = "state = 'dead'", []
        if partner is not None:
            where += " AND partner = ?"
            params.append(partner)
        rows = self._conn.execute(
            "SELECT id, partner, uid, version, attempts, last_status, last_error "
            f"FROM deliveries WHERE {where} ORDER BY id LIMIT {int(limit)}",
            params,
        )
        return [DeadLetter(*row) for row in rows]

    def stats(self) -> list[PartnerStats]:
        rows = self._conn.execute(
            """
            SELECT partner,
                   SUM(state = 'pending' AND attempts = 0),
                   SUM(state = 'pending' AND attempts > 0),
                   SUM(state = 'delivered'),
                   SUM(state = 'dead'),
                   MIN(CASE WHEN state = 'pending' THEN created_at END)
            FROM deliveries GROUP BY partner ORDER BY partner
            """
        )
        return [PartnerStats(*row) for row in rows]

    def next_due(self, partners: Sequence[str]) -> float | None:
        if not partners:
            return None
        marks = ",".join("?" * len(partners))
        row = self._conn.execute(
            "SELECT MIN(MAX(d.due_at, COALESCE(d.lease_until, 0))) FROM deliveries AS d "
            f"WHERE d.state = 'pending' AND d.partner IN ({marks}) AND NOT EXISTS ("
            "SELECT 1 FROM deliveries AS older WHERE older.partner = d.partner "
            "AND older.uid = d.uid AND older.version < d.version AND older.state = 'pending')",
            list(partners),
        ).fetchone()
        return row[0] if row and row[0] is not None else None


def now() -> float:
    """Wall-clock seconds: stored times must mean the same thing to every process."""
    return time.time()
