"""Which delivery store to open: PostgreSQL when `state_url` is set, else SQLite files.

The stores are imported on demand: a site on SQLite never imports psycopg.
"""

from __future__ import annotations

from pathlib import Path

from syndicate.config import Config

from .corrections import Revisions
from .mailing import MailingStore
from .outbox import Outbox


def state_url(config: Config) -> str | None:
    return config.file.state_url


# How long a PostgreSQL store keeps reconnecting before it gives up: long for workers
# (ride out a database restart), short for commands a person is waiting on.
WORKER_PATIENCE = 120.0
COMMAND_PATIENCE = 15.0


def open_outbox(
    config: Config, sqlite_path: Path, *, retry_for: float = COMMAND_PATIENCE
) -> Outbox:
    url = state_url(config)
    if url is not None:
        from .pg_outbox import PgOutbox

        return PgOutbox(url, retry_for=retry_for)
    from .outbox import SqliteOutbox

    return SqliteOutbox(sqlite_path)


def open_mailing(
    config: Config, sqlite_path: Path, *, retry_for: float = COMMAND_PATIENCE
) -> MailingStore:
    url = state_url(config)
    if url is not None:
        from .pg_mailing import PgMailingStore

        return PgMailingStore(url, retry_for=retry_for)
    from .mailing import SqliteMailingStore

    return SqliteMailingStore(sqlite_path)


def open_revisions(
    config: Config, sqlite_path: Path, *, retry_for: float = COMMAND_PATIENCE
) -> Revisions:
    """The corrections store (when each article last changed without `updated:`)."""
    url = state_url(config)
    if url is not None:
        from .pg_corrections import PgRevisions

        return PgRevisions(url, retry_for=retry_for)
    from .corrections import SqliteRevisions

    return SqliteRevisions(sqlite_path)
