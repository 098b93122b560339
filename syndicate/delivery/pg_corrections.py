"""The corrections store on PostgreSQL: when each article last changed without `updated:`.

Same table and meaning as the SQLite store (`corrections.SqliteRevisions`), in its own
schema of the database at `state_url`, so every host that publishes dates a correction
the same way and a rebuilt publishing host does not date it again.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from .corrections import Changes, Mark, Revision, reads_on
from .postgres import PgSession

Conn = psycopg.Connection[tuple[object, ...]]
SCHEMA = "syndicate_corrections"

MIGRATIONS = (
    """
    CREATE TABLE revisions (
        uid TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        declared TEXT,
        changed_at TEXT
    )
    """,
    """
    ALTER TABLE revisions ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
    CREATE INDEX revisions_by_generation ON revisions (generation);
    CREATE TABLE revisions_log (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        store TEXT NOT NULL,
        generation BIGINT NOT NULL
    );
    INSERT INTO revisions_log (id, store, generation)
        VALUES (1, md5(random()::text || clock_timestamp()::text), 0)
    """,
)


class PgRevisions:
    """`Revisions` in the `syndicate_corrections` schema."""

    def __init__(self, url: str, *, retry_for: float = 120.0) -> None:
        self.session = PgSession(url, SCHEMA, MIGRATIONS, retry_for=retry_for)

    def load(self) -> dict[str, Revision]:
        rows = self.session.run(
            lambda conn: conn.execute(
                "SELECT uid, content_hash, declared, changed_at FROM revisions"
            ).fetchall()
        )
        return {str(row[0]): Revision(*row) for row in rows}  # type: ignore[arg-type]

    def changes(self, since: Mark | None) -> Changes:
        def work(conn: Conn) -> Changes:
            # One snapshot for the mark and the rows: savers bump the generation under
            # the log row's lock, so every row up to the mark read is in it too.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            log = conn.execute("SELECT store, generation FROM revisions_log").fetchone()
            assert log is not None  # made by the migration
            store, generation = str(log[0]), int(log[1])  # type: ignore[call-overload]
            whole = not reads_on(since, store, generation)
            after = -1 if whole or since is None else since[1]
            rows = conn.execute(
                "SELECT uid, content_hash, declared, changed_at FROM revisions "
                "WHERE generation > %s",
                (after,),
            ).fetchall()
            found = {str(row[0]): Revision(*row) for row in rows}  # type: ignore[arg-type]
            return Changes(found, (store, generation), whole)

        return self.session.run(work)

    def save(self, revisions: Iterable[Revision]) -> Mark | None:
        rows = [(r.uid, r.content_hash, r.declared, r.changed_at) for r in revisions]
        if not rows:
            return None

        def work(conn: Conn) -> Mark:
            # The log row stays locked until commit: savers commit in generation order.
            log = conn.execute(
                "UPDATE revisions_log SET generation = generation + 1 RETURNING store, generation"
            ).fetchone()
            assert log is not None
            store, generation = str(log[0]), int(log[1])  # type: ignore[call-overload]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO revisions (uid, content_hash, declared, changed_at, "
                    "generation) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (uid) DO UPDATE "
                    "SET content_hash = excluded.content_hash, declared = excluded.declared, "
                    "changed_at = excluded.changed_at, generation = excluded.generation",
                    [(*row, generation) for row in rows],
                )
            return store, generation

        return self.session.run(work)  # all or nothing, as the SQLite store

    def close(self) -> None:
        self.session.close()
