"""`syndicate push`: send what is due; `push status`; `push retry-dead`."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from contextlib import closing
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from syndicate.commands import State, err, pass_state, say, user_errors
from syndicate.config import Config
from syndicate.delivery.outbox import Endpoint, Outbox, PartnerStats, now
from syndicate.delivery.stores import COMMAND_PATIENCE, WORKER_PATIENCE, open_outbox
from syndicate.errors import ConfigError

from .deliverer import Deliverer, Mode, RunReport
from .settings import PushSettings, load_settings


def _open(config: Config, settings: PushSettings, *, worker: bool = False) -> closing[Outbox]:
    patience = WORKER_PATIENCE if worker else COMMAND_PATIENCE
    return closing(open_outbox(config, settings.store_path(config), retry_for=patience))


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
        with _open(state.config, settings, worker=True) as outbox:
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
    if report.broken:  # the others were served; this run still failed for these
        for reason in report.broken.values():
            err.print(f"error: {reason}", markup=False, highlight=False)
        raise SystemExit(1)


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


def _rows(
    settings: PushSettings, stats: list[PartnerStats], endpoints: dict[str, Endpoint]
) -> list[dict[str, Any]]:
    by_name = {s.partner: s for s in stats}
    names = [p.name for p in settings.partners]
    names += sorted(n for n in by_name if n not in names)
    current = now()
    rows = []
    for name in names:
        s = by_name.get(name) or PartnerStats(name, 0, 0, 0, 0, None)
        oldest = s.oldest_pending_at
        partner = settings.partner(name)
        endpoint = endpoints.get(name)
        disabled = endpoint.disabled_at if endpoint else None
        rows.append(
            {
                "partner": name,
                "configured": partner is not None,
                "problem": partner.problem() if partner else None,
                "disabled_at": _iso(disabled),
                "disabled_reason": endpoint.disabled_reason if disabled and endpoint else None,
                "failing_since": _iso(endpoint.failing_since if endpoint else None),
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
            rows = _rows(settings, outbox.stats(), outbox.endpoints())
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
    for r in rows:
        if r["problem"]:
            say(f"broken: {r['problem']} (its deliveries wait)")
        if r["disabled_at"]:
            say(
                f"disabled: {r['partner']} since {r['disabled_at']}: {r['disabled_reason']} "
                f"(`syndicate push enable {r['partner']}` after fixing it)"
            )
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


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _moment(value: str | None, option: str) -> float | None:
    """An ISO 8601 date/time (UTC unless it says otherwise) or an age like 90m, 6h, 2d."""
    if value is None:
        return None
    text = value.strip()
    age = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", text)
    if age:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[age.group(2)]
        return now() - float(age.group(1)) * unit
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use an ISO date/time (2026-03-01T08:00) or an age (90m, 6h, 2d)",
            param_hint=option,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _known_partner(settings: PushSettings, outbox: Outbox, name: str | None) -> None:
    if name is None or settings.partner(name) is not None:
        return
    if any(s.partner == name for s in outbox.stats()):
        return
    raise ConfigError(f"no partner named {name!r} in channels.push.partners or the outbox")


@push.command(name="log")
@click.option("--partner", help="Only this partner.")
@click.option("--article", "uid", help="Only this article (its tag: URI, as in push status).")
@click.option("--since", help="Only attempts since (ISO date/time, or an age: 6h, 2d).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def log(
    state: State,
    partner: str | None,
    uid: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Per-attempt history: when, which message, the answer and how long it took."""
    with user_errors(state):
        settings = load_settings(state.config)
        with _open(state.config, settings) as outbox:
            _known_partner(settings, outbox, partner)
            rows = outbox.attempts(
                partner=partner, uid=uid, since=_moment(since, "--since"), limit=limit
            )
    if as_json:
        click.echo(json.dumps([{**asdict(a), "at": _iso(a.at)} for a in rows], indent=2))
        return
    for a in rows:
        answer = str(a.status) if a.status is not None else "-"
        error = f" {a.error}" if a.error else ""
        say(
            f"{_iso(a.at)} {a.partner} {a.uid} v{a.version} {a.webhook_id} #{a.attempt} "
            f"{a.outcome} {answer} {a.duration * 1000:.0f}ms{error}"
        )


@push.command()
@click.option("--partner", help="Only this partner's messages.")
@click.option("--article", "uid", help="Only this article (its tag: URI).")
@click.option("--since", help="Delivered at or after (ISO date/time, or an age: 6h, 2d).")
@click.option("--until", help="Delivered before (ISO date/time, or an age).")
@pass_state
def replay(
    state: State, partner: str | None, uid: str | None, since: str | None, until: str | None
) -> None:
    """Send delivered messages again (same webhook-id and body), e.g. after a partner's loss."""
    with user_errors(state):
        if partner is None and uid is None and since is None and until is None:
            raise ConfigError("say what to replay: --partner, --article, --since and/or --until")
        settings = load_settings(state.config)
        with _open(state.config, settings) as outbox:
            _known_partner(settings, outbox, partner)
            count = outbox.replay(
                partner=partner,
                uid=uid,
                since=_moment(since, "--since"),
                until=_moment(until, "--until"),
                now=now(),
            )
    if not state.quiet:
        say(f"queued {count} message(s) again; run `syndicate push`")


@push.command()
@click.argument("partner")
@pass_state
def enable(state: State, partner: str) -> None:
    """Re-enable a partner that was disabled after failing for too long."""
    with user_errors(state):
        settings = load_settings(state.config)
        with _open(state.config, settings) as outbox:
            _known_partner(settings, outbox, partner)
            was = outbox.endpoints().get(partner)
            due = outbox.enable(partner, now=now())
    if not state.quiet:
        if was is None or was.disabled_at is None:
            say(f"{partner} was not disabled; {due} waiting deliveries are due now")
        else:
            say(f"{partner} enabled; {due} waiting deliveries are due now")
