"""Shared SQLite plumbing for the embedded delivery stores (push outbox, newsletter).

WAL mode lets `syndicate publish` record deliveries while `syndicate push --follow`
reads them; every write happens in a short transaction so a kill -9 loses nothing
that was acknowledged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def connect(path: Path, *, migrations: Sequence[str] = ()) -> sqlite3.Connection:
    """Open (creating if needed) a WAL database and apply any migrations not yet applied.

    `migrations` is the full ordered list of schema scripts; the database's
    `user_version` records how many have run, so adding one at the end upgrades old stores.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(migrations[version:], start=version + 1):
        with transaction(conn):
            _run_script(conn, script)  # executescript would COMMIT our transaction
            conn.execute(f"PRAGMA user_version={number}")
    return conn


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (including KeyboardInterrupt)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
