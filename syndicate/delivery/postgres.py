"""PostgreSQL plumbing for the delivery stores: connect, migrate, reconnect.

Every store method is one short transaction run through `PgSession.run`: when the server
goes away (restart, failover, a dropped network) the session reconnects with backoff and
runs the transaction again, so workers ride out a restart. Every statement the stores run
is safe to repeat: inserts are ON CONFLICT DO NOTHING, reports are guarded by a fencing
token, claims only lease rows that are due.

The schema is created and upgraded by the tool itself (`syndicate state migrate`, and
implicitly when a store opens: every migration is additive). Concurrent migrators are
serialised by an advisory lock, so many workers starting at once is fine.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from syndicate.config import expand_env
from syndicate.errors import SyndicateError

T = TypeVar("T")
MIGRATE_LOCK = 0x5359_4E44  # "SYND": pg_advisory_xact_lock key of the migrator
_PARAM = re.compile(r"(?<!:):([a-z_]+)")


class StoreUnavailable(SyndicateError):
    """The PostgreSQL server could not be reached (after retrying) or refused us."""


class SchemaTooNew(SyndicateError):
    """The database was migrated by a newer syndicate than this one."""


def named(query: str) -> bytes:
    """`:name` parameters (as the SQLite store writes them) in psycopg's `%(name)s` style."""
    return _PARAM.sub(r"%(\1)s", query.replace("%", "%%")).encode()


def resolve_url(url: str) -> str:
    """The state_url with its ${VAR}s expanded; a clear error names the missing variable."""
    try:
        value = str(expand_env(url))
    except ValueError as exc:
        raise StoreUnavailable(f"state_url: {exc}") from None
    if not value.startswith(("postgresql://", "postgres://")):
        raise StoreUnavailable("state_url: must expand to a postgresql:// URL")
    return value


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


class PgSession:
    """One connection, reconnected on demand; `run` executes one transaction."""

    def __init__(
        self,
        url: str,
        schema: str,
        migrations: Sequence[str],
        *,
        retry_for: float = 120.0,
        application_name: str = "syndicate",
    ) -> None:
        self.url = resolve_url(url)
        self.schema = schema  # each store has its own schema: the table names repeat
        self._migrations = migrations
        self._retry_for = retry_for
        self._application_name = application_name
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._on_connect: list[Callable[[psycopg.Connection[tuple[object, ...]]], None]] = []
        # (version found, version now): additive migrations are safe to run implicitly.
        self.migrated = self.run(lambda conn: migrate(conn, schema, self._migrations))

    def on_connect(self, action: Callable[[psycopg.Connection[tuple[object, ...]]], None]) -> None:
        """Run `action` on every new connection (e.g. to take a session advisory lock)."""
        self._on_connect.append(action)
        if self._conn is not None and not self._conn.closed:
            action(self._conn)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=tuple_row,
                connect_timeout=10,
                application_name=self._application_name,
                options=f"-c search_path={self.schema}",
                keepalives=1,
                keepalives_idle=30,
            )
            for action in self._on_connect:
                action(self._conn)
        return self._conn

    def run(
        self, work: Callable[[psycopg.Connection[tuple[object, ...]]], T], *, atomic: bool = False
    ) -> T:
        """`work` in one transaction; reconnects and repeats it while the server is away.

        `atomic`: `work` runs a single statement, which is its own transaction (saves the
        BEGIN and COMMIT round trips).
        """
        deadline = time.monotonic() + self._retry_for
        delay = 0.1
        while True:
            try:
                conn = self._connect()
                if atomic:
                    return work(conn)
                with conn.transaction():
                    return work(conn)
            except psycopg.OperationalError as exc:
                self.close()
                if time.monotonic() + delay > deadline:
                    raise StoreUnavailable(
                        f"PostgreSQL at {redact(self.url)}: {str(exc).strip() or exc!r}"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


def schema_version(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> int:
    name = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.syndicate_schema "
            "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        ).format(name)
    )
    row = conn.execute(
        sql.SQL("SELECT version FROM {}.syndicate_schema WHERE component = %s").format(name),
        (schema,),
    ).fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


def migrate(
    conn: psycopg.Connection[tuple[object, ...]], schema: str, scripts: Sequence[str]
) -> tuple[int, int]:
    """Apply the schema's missing migrations; (version before, version after)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
    current = schema_version(conn, schema)
    if current > len(scripts):
        raise SchemaTooNew(
            f"the {schema} schema in the database is version {current}, newer than this "
            f"syndicate knows ({len(scripts)}): upgrade syndicate on this host"
        )
    conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
    for script in scripts[current:]:
        conn.execute(script.encode())  # several statements: no parameters, simple protocol
    if current < len(scripts):
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.syndicate_schema (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version"
            ).format(sql.Identifier(schema)),
            (schema, len(scripts)),
        )
    return current, len(scripts)
