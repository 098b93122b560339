"""Which delivery store to open: PostgreSQL when `state_url` is set, else SQLite files.

The stores are imported on demand: a site on SQLite never imports psycopg.
"""

from __future__ import annotations

from pathlib import Path

from syndicate.config import Config

from .mailing import MailingStore
from .outbox import Outbox


def state_url(config: Config) -> str | None:
    return config.file.state_url


def open_outbox(config: Config, sqlite_path: Path) -> Outbox:
    url = state_url(config)
    if url is not None:
        from .pg_outbox import PgOutbox

        return PgOutbox(url)
    from .outbox import SqliteOutbox

    return SqliteOutbox(sqlite_path)


def open_mailing(config: Config, sqlite_path: Path) -> MailingStore:
    url = state_url(config)
    if url is not None:
        from .pg_mailing import PgMailingStore

        return PgMailingStore(url)
    from .mailing import SqliteMailingStore

    return SqliteMailingStore(sqlite_path)
