"""The push outbox: which article versions each partner must receive, and how that went.

`Outbox` is the small interface the push channel talks to; `SqliteOutbox` is the embedded
default. A server database for a distributed worker pool only needs another class with
these methods: claims are leases with an expiry, so a killed worker's work comes back by
itself, and every state change is one short transaction keyed by the delivery id (a
worker's outcomes land in batches, one transaction each, every row fenced by its token).

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
    token: int = 0  # fencing token of this claim: a report must carry it to be recorded


@dataclass(frozen=True, slots=True)
class Result:
    """What one attempt came to, as a worker reports it."""

    kind: Literal["delivered", "retry", "dead"]
    status: int | None
    error: str
    now: float
    due_at: float = 0.0  # for `retry`
    duration: float = 0.0  # seconds the request took


@dataclass(frozen=True, slots=True)
class Attempt:
    """One line of the per-attempt history (`syndicate push log`)."""

    at: float
    partner: str
    uid: str
    version: int
    webhook_id: str
    attempt: int
    outcome: str  # delivered, retry, dead, or stale (reported after the lease was lost)
    status: int | None
    error: str
    duration: float
    worker: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A partner endpoint's health: failing since when, disabled since when and why."""

    partner: str
    failing_since: float | None
    disabled_at: float | None
    disabled_reason: str


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

    # True when a call waits on a network (a database server): a worker then makes its
    # calls from a thread of their own rather than stall its event loop. An embedded
    # store's batched calls take tens of microseconds: cheaper inline than a thread hop.
    remote: bool

    def register(self, owner: str) -> None:
        """Announce a worker, so others can tell when it has died (no-op where unneeded)."""
        ...

    def recorded(self, partner: str) -> Mapping[str, Recorded]:
        """Last recorded version of every article ever enqueued for `partner`, by uid."""
        ...

    def enqueue(self, items: Sequence[NewDelivery], *, now: float) -> int:
        """Record the versions and add their deliveries, all or nothing; returns rows added."""
        ...

    def claim(
        self, partner: str, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        """Lease up to `limit` due deliveries of an enabled `partner`, oldest first.

        A delivery waits while an older version of the same article is still pending,
        so each partner sees an article's versions in order. Every claim gets a new
        fencing token.
        """
        ...

    def report(
        self, delivery: Delivery, result: Result, *, worker: str, disable_after: float = 0
    ) -> bool:
        """Record an attempt's outcome if `delivery.token` still holds the lease.

        The attempt always goes into the history; the delivery's state changes only for
        the current lease holder (False: the lease was lost and someone else owns it).
        A partner failing continuously for `disable_after` seconds (0: never) is disabled.
        """
        ...

    def report_many(
        self,
        outcomes: Sequence[tuple[Delivery, Result]],
        *,
        worker: str,
        disable_after: float = 0,
    ) -> list[bool]:
        """`report` for a batch in one transaction (one commit, one round trip per batch).

        Each row is still fenced by its own token, in order: a stale row is logged as
        `stale` and changes nothing, while the rest of the batch lands.
        """
        ...

    def release(self, deliveries: Iterable[Delivery]) -> None:
        """Give back claimed deliveries that were not attempted (e.g. on shutdown)."""
        ...

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        """Drop the leases of workers known to be dead, so their work is due now."""
        ...

    def requeue_dead(self, *, partner: str | None, now: float) -> int: ...

    def replay(
        self,
        *,
        partner: str | None,
        uid: str | None,
        since: float | None,
        until: float | None,
        now: float,
    ) -> int:
        """Send delivered messages again (same webhook-id), e.g. after a partner lost data."""
        ...

    def dead_letters(self, *, partner: str | None, limit: int) -> list[DeadLetter]: ...

    def attempts(
        self, *, partner: str | None, uid: str | None, since: float | None, limit: int
    ) -> list[Attempt]:
        """The newest `limit` attempts matching, oldest first."""
        ...

    def endpoints(self) -> dict[str, Endpoint]: ...

    def enable(self, partner: str, *, now: float) -> int:
        """Re-enable a disabled partner; its waiting deliveries become due now."""
        ...

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
    # Fencing tokens, the per-attempt history and endpoint health (auto-disable).
    """
    ALTER TABLE deliveries ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at REAL NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        error TEXT NOT NULL,
        duration REAL NOT NULL,
        worker TEXT NOT NULL
    );
    CREATE INDEX attempts_delivery ON attempts (delivery_id);
    CREATE INDEX attempts_at ON attempts (at);
    CREATE TABLE endpoints (
        partner TEXT PRIMARY KEY,
        failing_since REAL,
        disabled_at REAL,
        disabled_reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX deliveries_finished ON deliveries (partner, finished_at)
    """,
]

# SQL shared by the SQLite and PostgreSQL outboxes (named parameters, `:name` / `%(name)s`).
NOT_BLOCKED = """
      AND NOT EXISTS (
          SELECT 1 FROM deliveries AS older
          WHERE older.partner = d.partner AND older.uid = d.uid
            AND older.version < d.version AND older.state = 'pending'
      )
      AND NOT EXISTS (
          SELECT 1 FROM endpoints AS e WHERE e.partner = d.partner AND e.disabled_at IS NOT NULL
      )
"""

_CLAIM = f"""
UPDATE deliveries SET lease_owner = :owner, lease_until = :until,
    lease_token = lease_token + 1
WHERE id IN (
    SELECT d.id FROM deliveries AS d
    WHERE d.partner = :partner AND d.state = 'pending' AND d.due_at <= :now
      AND (d.lease_until IS NULL OR d.lease_until < :now)
      {NOT_BLOCKED}
    ORDER BY d.due_at, d.id
    LIMIT :limit
)
RETURNING id, webhook_id, partner, uid, version, content_type, body, attempts, created_at,
    lease_token
"""

# Applied only while the reporter still holds the lease (`token`), so a worker whose lease
# lapsed can never overwrite what the worker that took over recorded.
REPORT = {
    "delivered": "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, "
    "finished_at = :now, last_status = :status, last_error = '', lease_owner = NULL, "
    "lease_until = NULL WHERE id = :id AND lease_token = :token AND state = 'pending'",
    "retry": "UPDATE deliveries SET attempts = attempts + 1, due_at = :due_at, "
    "last_status = :status, last_error = :error, lease_owner = NULL, lease_until = NULL "
    "WHERE id = :id AND lease_token = :token AND state = 'pending'",
    "dead": "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, "
    "finished_at = :now, last_status = :status, last_error = :error, lease_owner = NULL, "
    "lease_until = NULL WHERE id = :id AND lease_token = :token AND state = 'pending'",
}

LOG_ATTEMPT = (
    "INSERT INTO attempts (delivery_id, attempt, at, outcome, status, error, duration, worker) "
    "VALUES (:id, :attempt, :now, :outcome, :status, :error, :duration, :worker)"
)

HEALTHY = "UPDATE endpoints SET failing_since = NULL WHERE partner = :partner"
FAILING = (
    "INSERT INTO endpoints (partner, failing_since) VALUES (:partner, :now) "
    "ON CONFLICT (partner) DO UPDATE SET failing_since = "
    "COALESCE(endpoints.failing_since, excluded.failing_since)"
)
DISABLE = (
    "UPDATE endpoints SET disabled_at = :now, disabled_reason = :reason WHERE partner = :partner "
    "AND disabled_at IS NULL AND failing_since IS NOT NULL AND failing_since <= :cutoff"
)

ENABLE_DUE = (
    "UPDATE deliveries SET due_at = CASE WHEN due_at > :now THEN :now ELSE due_at END "
    "WHERE partner = :partner AND state = 'pending'"
)
ENABLE = (
    "UPDATE endpoints SET disabled_at = NULL, disabled_reason = '', failing_since = NULL "
    "WHERE partner = :partner"
)

STATS = """
SELECT partner,
       SUM(CASE WHEN state = 'pending' AND attempts = 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'pending' AND attempts > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END),
       SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END),
       MIN(CASE WHEN state = 'pending' THEN created_at END)
FROM deliveries GROUP BY partner ORDER BY partner
"""

ATTEMPT_COLUMNS = (
    "a.at, d.partner, d.uid, d.version, d.webhook_id, a.attempt, a.outcome, a.status, "
    "a.error, a.duration, a.worker"
)


def filters(
    partner: str | None, uid: str | None, column: str, since: float | None, until: float | None
) -> tuple[str, dict[str, object]]:
    """A WHERE clause (named parameters) for the push log and replay selections."""
    where: list[str] = ["1 = 1"]
    params: dict[str, object] = {}
    for name, value, clause in (
        ("partner", partner, "d.partner = :partner"),
        ("uid", uid, "d.uid = :uid"),
        ("since", since, f"{column} >= :since"),
        ("until", until, f"{column} < :until"),
    ):
        if value is not None:
            where.append(clause)
            params[name] = value
    return " AND ".join(where), params


def requeue(
    state: str,
    partner: str | None,
    uid: str | None,
    since: float | None,
    until: float | None,
    now: float,
) -> tuple[str, dict[str, object]]:
    """Make finished deliveries (`dead`: retry-dead, `delivered`: replay) pending again."""
    where, params = filters(partner, uid, "d.finished_at", since, until)
    query = (
        "UPDATE deliveries AS d SET state = 'pending', attempts = 0, due_at = :now, "
        f"finished_at = NULL WHERE d.state = '{state}' AND {where}"
    )
    return query, {**params, "now": now}


class SqliteOutbox:
    """The embedded outbox: one SQLite file in WAL mode, safe across processes on one host."""

    remote = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection = connect(path, migrations=MIGRATIONS)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqliteOutbox:
        return self

    def register(self, owner: str) -> None:
        """Nothing to do: on one host, `release_owners` asks whether the process runs."""

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
        return sorted((claimed(tuple(row)) for row in rows), key=lambda d: d.id)

    def report(
        self, delivery: Delivery, result: Result, *, worker: str, disable_after: float = 0
    ) -> bool:
        return self.report_many([(delivery, result)], worker=worker, disable_after=disable_after)[0]

    def report_many(
        self,
        outcomes: Sequence[tuple[Delivery, Result]],
        *,
        worker: str,
        disable_after: float = 0,
    ) -> list[bool]:
        if not outcomes:
            return []
        landed = []
        with transaction(self._conn) as conn:
            for delivery, result in outcomes:
                params = report_params(delivery, result, worker)
                current = conn.execute(REPORT[result.kind], params).rowcount == 1
                outcome = result.kind if current else "stale"
                conn.execute(LOG_ATTEMPT, {**params, "outcome": outcome})
                if current:
                    for sql, extra in health_updates(delivery, result, disable_after):
                        conn.execute(sql, {**params, **extra})
                landed.append(current)
        return landed

    def release(self, deliveries: Iterable[Delivery]) -> None:
        ids = [(d.id, d.token) for d in deliveries]
        if not ids:
            return
        with transaction(self._conn) as conn:
            conn.executemany(
                "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
                "WHERE id = ? AND lease_token = ?",
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
        query, params = requeue("dead", partner, None, None, None, now)
        with transaction(self._conn) as conn:
            return conn.execute(query, params).rowcount

    def replay(
        self,
        *,
        partner: str | None,
        uid: str | None,
        since: float | None,
        until: float | None,
        now: float,
    ) -> int:
        query, params = requeue("delivered", partner, uid, since, until, now)
        with transaction(self._conn) as conn:
            return conn.execute(query, params).rowcount

    def dead_letters(self, *, partner: str | None, limit: int) -> list[DeadLetter]:
        where, params = filters(partner, None, "d.finished_at", None, None)
        rows = self._conn.execute(
            "SELECT id, partner, uid, version, attempts, last_status, last_error "
            f"FROM deliveries AS d WHERE state = 'dead' AND {where} ORDER BY id "
            f"LIMIT {int(limit)}",
            params,
        )
        return [DeadLetter(*row) for row in rows]

    def attempts(
        self, *, partner: str | None, uid: str | None, since: float | None, limit: int
    ) -> list[Attempt]:
        where, params = filters(partner, uid, "a.at", since, None)
        rows = self._conn.execute(
            f"SELECT {ATTEMPT_COLUMNS} FROM attempts AS a JOIN deliveries AS d "
            f"ON d.id = a.delivery_id WHERE {where} ORDER BY a.id DESC LIMIT {int(limit)}",
            params,
        ).fetchall()
        return [Attempt(*row) for row in reversed(rows)]

    def endpoints(self) -> dict[str, Endpoint]:
        rows = self._conn.execute(
            "SELECT partner, failing_since, disabled_at, disabled_reason FROM endpoints"
        )
        return {row[0]: Endpoint(*row) for row in rows}

    def enable(self, partner: str, *, now: float) -> int:
        with transaction(self._conn) as conn:
            conn.execute(ENABLE, {"partner": partner})
            return conn.execute(ENABLE_DUE, {"now": now, "partner": partner}).rowcount

    def stats(self) -> list[PartnerStats]:
        return [PartnerStats(*row) for row in self._conn.execute(STATS)]

    def next_due(self, partners: Sequence[str]) -> float | None:
        if not partners:
            return None
        marks = ",".join("?" * len(partners))
        row = self._conn.execute(
            "SELECT MIN(MAX(d.due_at, COALESCE(d.lease_until, 0))) FROM deliveries AS d "
            f"WHERE d.state = 'pending' AND d.partner IN ({marks}) {NOT_BLOCKED}",
            list(partners),
        ).fetchone()
        return row[0] if row and row[0] is not None else None


def claimed(row: tuple[object, ...]) -> Delivery:
    """A Delivery from a claim's RETURNING row (same column order in both stores)."""
    (id_, webhook_id, partner, uid, version, content_type, body, attempts, created, token) = row
    return Delivery(
        id=int(id_),  # type: ignore[call-overload]
        webhook_id=str(webhook_id),
        partner=str(partner),
        uid=str(uid),
        version=int(version),  # type: ignore[call-overload]
        content_type=str(content_type),
        body=bytes(body),  # type: ignore[call-overload]
        attempts=int(attempts),  # type: ignore[call-overload]
        created_at=float(created),  # type: ignore[arg-type]
        token=int(token),  # type: ignore[call-overload]
    )


def report_params(delivery: Delivery, result: Result, worker: str) -> dict[str, object]:
    return {
        "id": delivery.id,
        "token": delivery.token,
        "attempt": delivery.attempts + 1,
        "now": result.now,
        "status": result.status,
        "error": result.error,
        "due_at": result.due_at,
        "duration": result.duration,
        "worker": worker,
        "partner": delivery.partner,
    }


def health_updates(
    delivery: Delivery, result: Result, disable_after: float
) -> list[tuple[str, dict[str, object]]]:
    """Statements that track how long a partner has been failing, and disable it after a day."""
    if result.kind == "delivered":
        return [(HEALTHY, {})]
    updates: list[tuple[str, dict[str, object]]] = [(FAILING, {})]
    if disable_after > 0:
        reason = disable_reason(result, disable_after)
        updates.append((DISABLE, {"cutoff": result.now - disable_after, "reason": reason}))
    return updates


def disable_reason(result: Result, disable_after: float) -> str:
    return f"every attempt failed for {disable_after / 3600:g} h; last: {result.error}"


def now() -> float:
    """Wall-clock seconds: stored times must mean the same thing to every process."""
    return time.time()
