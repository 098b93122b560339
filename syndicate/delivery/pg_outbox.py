"""The push outbox on PostgreSQL: many workers on many hosts share one queue.

Claims lease rows with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait for
each other or take the same row; every claim bumps the row's fencing token and a report
is recorded only with the current token. A worker holds a session advisory lock named
after it while it runs: when its process or host dies, the server drops the connection
and the lock with it, and the next worker releases that worker's leases at once (no host
names or process ids involved). Leases still expire on their own for a worker that is
alive but stuck (paused, partitioned).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import psycopg

from .outbox import (
    ATTEMPT_COLUMNS,
    ENABLE,
    ENABLE_DUE,
    LOG_ATTEMPT,
    NOT_BLOCKED,
    REPORT,
    STATS,
    Attempt,
    DeadLetter,
    Delivery,
    Endpoint,
    NewDelivery,
    PartnerStats,
    Recorded,
    Result,
    claimed,
    disable_reason,
    filters,
    report_params,
    requeue,
)
from .postgres import PgSession, named

Conn = psycopg.Connection[tuple[object, ...]]
SCHEMA = "syndicate_push"
WORKER_LOCKS = 0x5055_5348  # "PUSH": first key of every worker's advisory lock
ANALYZE_AFTER = 1000  # rows enqueued at once that warrant fresh planner statistics

MIGRATIONS = (
    """
    CREATE TABLE recorded (
        partner TEXT NOT NULL,
        uid TEXT NOT NULL,
        version INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        pubstatus TEXT NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (partner, uid)
    );
    CREATE TABLE deliveries (
        id BIGSERIAL PRIMARY KEY,
        webhook_id TEXT NOT NULL UNIQUE,
        partner TEXT NOT NULL,
        uid TEXT NOT NULL,
        version INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        body BYTEA NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        lease_owner TEXT,
        lease_until DOUBLE PRECISION,
        lease_token BIGINT NOT NULL DEFAULT 0,
        finished_at DOUBLE PRECISION,
        last_status INTEGER,
        last_error TEXT NOT NULL DEFAULT '',
        UNIQUE (partner, uid, version)
    );
    CREATE INDEX deliveries_due ON deliveries (partner, due_at, id) WHERE state = 'pending';
    CREATE INDEX deliveries_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
    CREATE INDEX deliveries_finished ON deliveries (partner, finished_at);
    CREATE TABLE attempts (
        id BIGSERIAL PRIMARY KEY,
        delivery_id BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        error TEXT NOT NULL,
        duration DOUBLE PRECISION NOT NULL,
        worker TEXT NOT NULL
    );
    CREATE INDEX attempts_delivery ON attempts (delivery_id);
    CREATE INDEX attempts_at ON attempts (at);
    CREATE TABLE endpoints (
        partner TEXT PRIMARY KEY,
        failing_since DOUBLE PRECISION,
        disabled_at DOUBLE PRECISION,
        disabled_reason TEXT NOT NULL DEFAULT ''
    )
    """,
)

# The same test as NOT_BLOCKED, written so that PostgreSQL checks it row by row while it
# walks `deliveries_due` in order and stops at LIMIT: as NOT EXISTS it becomes an anti
# join over every due row (and, before the table is analysed, a scan of every pending
# row per candidate), which made a claim of 8 rows from a 5,000-row queue take 5-7 ms.
_NOT_BLOCKED_PER_ROW = """
      AND NOT (SELECT EXISTS (
          SELECT 1 FROM deliveries AS older
          WHERE older.partner = d.partner AND older.uid = d.uid
            AND older.version < d.version AND older.state = 'pending'
      ))
      AND NOT (SELECT EXISTS (
          SELECT 1 FROM endpoints AS e WHERE e.partner = d.partner AND e.disabled_at IS NOT NULL
      ))
"""

_CLAIM = named(f"""
UPDATE deliveries SET lease_owner = :owner, lease_until = :until,
    lease_token = lease_token + 1
WHERE id IN (
    SELECT d.id FROM deliveries AS d
    WHERE d.partner = :partner AND d.state = 'pending' AND d.due_at <= :now
      AND (d.lease_until IS NULL OR d.lease_until < :now)
      {_NOT_BLOCKED_PER_ROW}
    ORDER BY d.due_at, d.id
    LIMIT :limit
    FOR UPDATE OF d SKIP LOCKED
)
RETURNING id, webhook_id, partner, uid, version, content_type, body, attempts, created_at,
    lease_token
""")

# Leases of workers whose advisory lock is gone (their connection died with them).
_RELEASE_GONE = named(f"""
UPDATE deliveries SET lease_owner = NULL, lease_until = NULL
WHERE lease_owner IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM pg_locks AS l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.classid = {WORKER_LOCKS}::oid AND l.objid = hashtext(lease_owner)::oid
)
""")


def _report_statement(kind: str, disable: bool) -> bytes:
    """Report, attempt log and endpoint health as one statement (data-modifying CTEs)."""
    update = REPORT[kind] + " RETURNING id"
    current = "EXISTS (SELECT 1 FROM done)"
    log = LOG_ATTEMPT.replace(
        "VALUES (:id, :attempt, :now, :outcome, :status, :error, :duration, :worker)",
        f"SELECT :id, :attempt, :now, CASE WHEN {current} THEN :outcome ELSE 'stale' END, "
        ":status, :error, :duration, :worker",
    )
    parts = [f"done AS ({update})", f"logged AS ({log})"]
    if kind == "delivered":
        parts.append(
            "healthy AS (UPDATE endpoints SET failing_since = NULL WHERE partner = :partner "
            f"AND failing_since IS NOT NULL AND {current})"
        )
    else:
        # One upsert: a row may be changed only once per statement.
        due = (
            "endpoints.disabled_at IS NULL AND endpoints.failing_since <= :cutoff"
            if disable
            else "FALSE"
        )
        parts.append(
            "failing AS (INSERT INTO endpoints (partner, failing_since) "
            f"SELECT :partner, :now WHERE {current} ON CONFLICT (partner) DO UPDATE SET "
            "failing_since = COALESCE(endpoints.failing_since, excluded.failing_since), "
            f"disabled_at = CASE WHEN {due} THEN :now ELSE endpoints.disabled_at END, "
            f"disabled_reason = CASE WHEN {due} THEN :reason "
            "ELSE endpoints.disabled_reason END "
            f"WHERE endpoints.failing_since IS NULL OR ({due}))"
        )
    return named("WITH " + ",\n".join(parts) + f"\nSELECT {current}")


_REPORT_ONE = {
    (kind, disable): _report_statement(kind, disable)
    for kind in REPORT
    for disable in (False, True)
}


def _report_one(
    delivery: Delivery, result: Result, worker: str, disable_after: float
) -> tuple[bytes, dict[str, object]]:
    params = report_params(delivery, result, worker)
    params |= {"outcome": result.kind, "cutoff": result.now - disable_after}
    params["reason"] = disable_reason(result, disable_after)
    return _REPORT_ONE[result.kind, disable_after > 0], params


class PgOutbox:
    """The outbox in the `syndicate_push` schema of the database at `state_url`."""

    remote = True

    def __init__(self, url: str, *, retry_for: float = 120.0) -> None:
        self.session = PgSession(url, SCHEMA, MIGRATIONS, retry_for=retry_for)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PgOutbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(self, owner: str) -> None:
        """Hold this worker's advisory lock for as long as its connection lives."""

        def lock(conn: Conn) -> None:
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (WORKER_LOCKS, owner))

        self.session.on_connect(lock)
        self.session.run(lambda conn: None)

    def recorded(self, partner: str) -> dict[str, Recorded]:
        def work(conn: Conn) -> dict[str, Recorded]:
            rows = conn.execute(
                "SELECT uid, version, content_hash, pubstatus, meta FROM recorded "
                "WHERE partner = %s",
                (partner,),
            ).fetchall()
            return {str(row[0]): Recorded(*row) for row in rows}  # type: ignore[arg-type]

        return self.session.run(work)

    def enqueue(self, items: Sequence[NewDelivery], *, now: float) -> int:
        if not items:
            return 0

        def work(conn: Conn) -> int:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO recorded (partner, uid, version, content_hash, pubstatus, meta) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (partner, uid) DO UPDATE SET "
                    "version = excluded.version, content_hash = excluded.content_hash, "
                    "pubstatus = excluded.pubstatus, meta = excluded.meta "
                    "WHERE excluded.version > recorded.version",
                    [
                        (i.partner, i.uid, i.version, i.content_hash, i.pubstatus, i.meta)
                        for i in items
                    ],
                )
                added = 0
                for i in items:
                    cur.execute(
                        "INSERT INTO deliveries (webhook_id, partner, uid, version, "
                        "content_type, body, created_at, due_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (
                            i.webhook_id,
                            i.partner,
                            i.uid,
                            i.version,
                            i.content_type,
                            i.body,
                            now,
                            now,
                        ),
                    )
                    added += cur.rowcount
                return added

        added = self.session.run(work)
        if added >= ANALYZE_AFTER:
            # A bulk load outruns autovacuum's statistics (about a minute behind): until
            # then the planner takes `deliveries` for empty and checks "an older version
            # is pending" by scanning every pending row, for every candidate of a claim.
            self.session.run(lambda conn: conn.execute("ANALYZE deliveries"), atomic=True)
        return added

    def claim(
        self, partner: str, *, owner: str, limit: int, lease: float, now: float
    ) -> list[Delivery]:
        if limit <= 0:
            return []
        params = {
            "owner": owner,
            "until": now + lease,
            "partner": partner,
            "now": now,
            "limit": limit,
        }

        def work(conn: Conn) -> list[Delivery]:
            return [claimed(row) for row in conn.execute(_CLAIM, params).fetchall()]

        return sorted(self.session.run(work, atomic=True), key=lambda d: d.id)

    def report(
        self, delivery: Delivery, result: Result, *, worker: str, disable_after: float = 0
    ) -> bool:
        query, params = _report_one(delivery, result, worker, disable_after)
        # One statement, one round trip, atomic on its own.
        row = self.session.run(lambda conn: conn.execute(query, params).fetchone(), atomic=True)
        return bool(row and row[0])

    def report_many(
        self,
        outcomes: Sequence[tuple[Delivery, Result]],
        *,
        worker: str,
        disable_after: float = 0,
    ) -> list[bool]:
        """The same statement per row, pipelined in one transaction: one round trip.

        The rows run in order on the server, each fenced by its own token, so the batch
        means exactly what reporting them one by one would.
        """
        if not outcomes:
            return []
        statements = [_report_one(d, r, worker, disable_after) for d, r in outcomes]

        def work(conn: Conn) -> list[bool]:
            with conn.pipeline(), conn.transaction():
                cursors = [conn.execute(query, params) for query, params in statements]
            return [bool((row := cur.fetchone()) and row[0]) for cur in cursors]

        return self.session.run(work, atomic=True)  # the transaction is inside the pipeline

    def release(self, deliveries: Iterable[Delivery]) -> None:
        ids = [(d.id, d.token) for d in deliveries]
        if not ids:
            return

        def work(conn: Conn) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL "
                    "WHERE id = %s AND lease_token = %s",
                    ids,
                )

        self.session.run(work)

    def release_owners(self, is_gone: Callable[[str], bool]) -> int:
        """Release the leases of workers whose connection (and advisory lock) is gone.

        `is_gone` (a host/pid test) is not used: on PostgreSQL the lock says it for
        every host.
        """
        return self.session.run(lambda conn: conn.execute(_RELEASE_GONE).rowcount)

    def requeue_dead(self, *, partner: str | None, now: float) -> int:
        query, params = requeue("dead", partner, None, None, None, now)
        return self.session.run(lambda conn: conn.execute(named(query), params).rowcount)

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
        return self.session.run(lambda conn: conn.execute(named(query), params).rowcount)

    def dead_letters(self, *, partner: str | None, limit: int) -> list[DeadLetter]:
        where, params = filters(partner, None, "d.finished_at", None, None)
        query = named(
            "SELECT id, partner, uid, version, attempts, last_status, last_error "
            f"FROM deliveries AS d WHERE state = 'dead' AND {where} ORDER BY id "
            f"LIMIT {int(limit)}"
        )
        rows = self.session.run(lambda conn: conn.execute(query, params).fetchall())
        return [DeadLetter(*row) for row in rows]  # type: ignore[arg-type]

    def attempts(
        self, *, partner: str | None, uid: str | None, since: float | None, limit: int
    ) -> list[Attempt]:
        where, params = filters(partner, uid, "a.at", since, None)
        query = named(
            f"SELECT {ATTEMPT_COLUMNS} FROM attempts AS a JOIN deliveries AS d "
            f"ON d.id = a.delivery_id WHERE {where} ORDER BY a.id DESC LIMIT {int(limit)}"
        )
        rows = self.session.run(lambda conn: conn.execute(query, params).fetchall())
        return [Attempt(*row) for row in reversed(rows)]  # type: ignore[arg-type]

    def endpoints(self) -> dict[str, Endpoint]:
        rows = self.session.run(
            lambda conn: conn.execute(
                "SELECT partner, failing_since, disabled_at, disabled_reason FROM endpoints"
            ).fetchall()
        )
        return {str(row[0]): Endpoint(*row) for row in rows}  # type: ignore[arg-type]

    def enable(self, partner: str, *, now: float) -> int:
        def work(conn: Conn) -> int:
            conn.execute(named(ENABLE), {"partner": partner})
            return conn.execute(named(ENABLE_DUE), {"now": now, "partner": partner}).rowcount

        return self.session.run(work)

    def stats(self) -> list[PartnerStats]:
        rows = self.session.run(lambda conn: conn.execute(STATS.encode()).fetchall())
        return [PartnerStats(*row) for row in rows]  # type: ignore[arg-type]

    def next_due(self, partners: Sequence[str]) -> float | None:
        if not partners:
            return None
        query = named(
            "SELECT MIN(GREATEST(d.due_at, COALESCE(d.lease_until, 0))) FROM deliveries AS d "
            f"WHERE d.state = 'pending' AND d.partner = ANY(:partners) {NOT_BLOCKED}"
        )
        row = self.session.run(
            lambda conn: conn.execute(query, {"partners": list(partners)}).fetchone()
        )
        return float(row[0]) if row and row[0] is not None else None  # type: ignore[arg-type]
