"""The corrections store on PostgreSQL: when each article last changed without `updated:`.

Same table and meaning as the SQLite store (`corrections.SqliteRevisions`), in its own
schema of the database at `state_url`, so every host that publishes dates a correction
the same way and a rebuilt publishing host does not date it again.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from .corrections import Revision
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

    def save(self, revisions: Iterable[Revision]) -> None:
        rows = [(r.uid, r.content_hash, r.declared, r.changed_at) for r in revisions]
        if not rows:
            return

        def work(conn: Conn) -> None:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO revisions (uid, content_hash, declared, changed_at) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (uid) DO UPDATE SET "
                    "content_hash = excluded.content_hash, declared = excluded.declared, "
                    "changed_at = excluded.changed_at",
                    rows,
                )

        self.session.run(work)  # all or nothing, as the SQLite store

    def close(self) -> None:
        self.session.close()
