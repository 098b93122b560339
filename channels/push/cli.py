"""`syndicate push`: send what is due; `push status`; `push retry-dead`."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any

import click

from syndicate.commands import State, err, pass_state, say, user_errors
from syndicate.config import Config
from syndicate.delivery.outbox import PartnerStats, SqliteOutbox, now
from syndicate.errors import ConfigError

from .deliverer import Deliverer, Mode, RunReport
from .settings import PushSettings, load_settings


def _open(config: Config, settings: PushSettings) -> SqliteOutbox:
    return SqliteOutbox(settings.store_path(config))


async def _run(deliverer: Deliverer, mode: Mode) -> RunReport:
    """Run until done; the first Ctrl-C/SIGTERM stops taking work, a second cuts requests."""
    loop = asyncio.get_running_loop()
    stop, force = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        (force if stop.is_set() else stop).set()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    try:
        return await deliverer.run(mode, stop, force)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


@click.group(name="push", invoke_without_command=True)
@click.option("--follow", is_flag=True, help="Keep running and deliver as work becomes due.")
@click.option("--drain", is_flag=True, help="Keep going until nothing is pending (retries too).")
@click.option("--partner", "partners", multiple=True, help="Only this partner; repeatable.")
@pass_state
def push(state: State, follow: bool, drain: bool, partners: tuple[str, ...]) -> None:
    """Send due partner deliveries (signed, retried, recorded in the outbox)."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    with user_errors(state):
        if follow and drain:
            raise ConfigError("choose one of --follow and --drain")
        settings = load_settings(state.config)
        if not settings.partners:
            raise ConfigError(f"{state.config.describe('channels.push.partners')}: none configured")
        for name in partners:
            if settings.partner(name) is None:
                raise ConfigError(f"no partner named {name!r} in channels.push.partners")
        on_event = None if state.quiet else _warn
        with _open(state.config, settings) as outbox:
            deliverer = Deliverer(
                settings,
                outbox,
                partners=list(partners),
                ca_bundle=settings.ca_path(state.config),
                on_event=on_event,
            )
            mode: Mode = "follow" if follow else "drain" if drain else "once"
            report = asyncio.run(_run(deliverer, mode))
    if not state.quiet:
        say(f"push: {report.delivered} delivered, {report.retried} to retry, {report.dead} dead")


def _warn(message: str) -> None:
    err.print(f"push: {message}", markup=False, highlight=False)


def _age(seconds: float | None) -> str:
    """Compact age: 45s, 12m05s, 3h07m, 2d04h."""
    if seconds is None:
        return "-"
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    if total < 86400:
        return f"{total // 3600}h{total % 3600 // 60:02d}m"
    return f"{total // 86400}d{total % 86400 // 3600:02d}h"


def _rows(settings: PushSettings, stats: list[PartnerStats]) -> list[dict[str, Any]]:
    by_name = {s.partner: s for s in stats}
    names = [p.name for p in settings.partners]
    names += sorted(n for n in by_name if n not in names)
    current = now()
    rows = []
    for name in names:
        s = by_name.get(name) or PartnerStats(name, 0, 0, 0, 0, None)
        oldest = s.oldest_pending_at
        rows.append(
            {
                "partner": name,
                "configured": settings.partner(name) is not None,
                "pending": s.pending or 0,
                "retrying": s.retrying or 0,
                "delivered": s.delivered or 0,
                "dead": s.dead or 0,
                "oldest_pending_age": None if oldest is None else round(current - oldest, 3),
            }
        )
    return rows


@push.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def status(state: State, as_json: bool) -> None:
    """Per partner: pending, retrying, delivered, dead, and the oldest pending age."""
    with user_errors(state):
        settings = load_settings(state.config)
        with _open(state.config, settings) as outbox:
            rows = _rows(settings, outbox.stats())
            dead = outbox.dead_letters(partner=None, limit=20)
    if as_json:
        letters = [
            {
                "partner": d.partner,
                "uri": d.uid,
                "version": d.version,
                "attempts": d.attempts,
                "last_status": d.last_status,
                "last_error": d.last_error,
            }
            for d in dead
        ]
        click.echo(json.dumps({"partners": rows, "dead_letters": letters}, indent=2))
        return
    header = ("partner", "pending", "retrying", "delivered", "dead", "oldest pending")
    table = [header] + [
        (
            r["partner"] + ("" if r["configured"] else " (not configured)"),
            str(r["pending"]),
            str(r["retrying"]),
            str(r["delivered"]),
            str(r["dead"]),
            _age(r["oldest_pending_age"]),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        say("  ".join(cells).rstrip())
    for d in dead:
        say(f"dead: {d.partner} {d.uid} v{d.version} after {d.attempts} attempt(s): {d.last_error}")


@push.command(name="retry-dead")
@click.option("--partner", help="Only this partner's dead letters.")
@pass_state
def retry_dead(state: State, partner: str | None) -> None:
    """Make dead deliveries pending again (after fixing the partner's endpoint)."""
    with user_errors(state):
        settings = load_settings(state.config)
        with _open(state.config, settings) as outbox:
            count = outbox.requeue_dead(partner=partner, now=now())
    if not state.quiet:
        say(f"requeued {count} dead deliver{'y' if count == 1 else 'ies'}; run `syndicate push`")
