"""`syndicate state migrate|status`: the delivery store's schema and where it lives."""

from __future__ import annotations

import click

from syndicate.commands import State, pass_state, say, user_errors
from syndicate.errors import ConfigError


@click.group(name="state")
def state_group() -> None:
    """Delivery state (push outbox, newsletter, corrections): SQLite files or PostgreSQL."""


@state_group.command()
@pass_state
def migrate(state: State) -> None:
    """Create or upgrade the PostgreSQL schema (stores also do it when they open)."""
    with user_errors(state):
        url = state.config.file.state_url
        if url is None:
            raise ConfigError(
                f"{state.config.describe('state_url')}: not set; the SQLite stores under "
                f"{state.config.state_dir} upgrade themselves when opened"
            )
        from .pg_corrections import PgRevisions
        from .pg_mailing import PgMailingStore
        from .pg_outbox import PgOutbox
        from .postgres import redact, resolve_url

        stores = (
            PgOutbox(url, retry_for=10),
            PgMailingStore(url, retry_for=10),
            PgRevisions(url, retry_for=10),
        )
        for store in stores:
            store.close()
            before, after = store.session.migrated
            change = f"{before} -> {after}" if before != after else f"{after} (up to date)"
            say(f"{store.session.schema}: schema version {change}")
        say(f"on {redact(resolve_url(url))}")


@state_group.command()
@pass_state
def where(state: State) -> None:
    """Say which store delivery state uses."""
    with user_errors(state):
        url = state.config.file.state_url
        if url is None:
            say(f"SQLite files under {state.config.state_dir}")
            return
        from .postgres import redact, resolve_url

        say(f"PostgreSQL at {redact(resolve_url(url))}")
