"""`syndicate newsletter build|send|unsubscribe-server` and `syndicate subscribers ...`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from syndicate.commands import NOW_OPTION, State, err, pass_state, say, user_errors
from syndicate.delivery.mailing import SUBSCRIBER_STATUSES, SubscriberStatus
from syndicate.delivery.stores import COMMAND_PATIENCE, WORKER_PATIENCE, open_mailing
from syndicate.errors import ContentError, SyndicateError
from syndicate.model import Site
from syndicate.pipeline import When, load_site
from syndicate.templating import Templates

from .addresses import CsvProblem, normalize_address, read_subscriber_csv
from .mailer import Newsletter, NothingNew, SendReport
from .sender import SmtpSender
from .settings import load_settings, store_path
from .unsubscribe import UnsubscribeApp, make_unsubscribe_server


@contextmanager
def open_newsletter(state: State, *, worker: bool = False) -> Iterator[Newsletter]:
    """`worker`: a sender, which rides out a database restart rather than failing fast."""
    config = state.config
    settings = load_settings(config)
    patience = WORKER_PATIENCE if worker else COMMAND_PATIENCE
    store = open_mailing(config, store_path(settings, config), retry_for=patience)
    try:
        yield Newsletter(config, settings, store, Templates(config.root / "templates"))
    finally:
        store.close()


def _site(state: State, now: datetime | None = None) -> Site:
    built = load_site(state.config, when=When(now))
    if built.errors:
        raise ContentError(built.errors)
    return built.site


def _info(state: State, message: str) -> None:
    if not state.quiet:
        say(message)


list_option = click.option("--list", "list_id", required=True, help="Mailing list id.")


@click.group()
def newsletter() -> None:
    """Build and send plain-text e-mail digests; run the unsubscribe endpoint."""


@newsletter.command()
@list_option
@click.option("--dry-run", is_flag=True, help="Write one .eml per subscriber; send nothing.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the .eml files (implies --dry-run; default: <cache>/newsletter/dry-run).",
)
@NOW_OPTION
@pass_state
def build(state: State, list_id: str, dry_run: bool, out: Path | None, now: datetime) -> None:
    """Build the list's next issue from the articles since its last sent one."""
    with user_errors(state), open_newsletter(state) as nl:
        lst = nl.settings.get_list(list_id)
        site = _site(state, now)
        if dry_run or out is not None:
            folder = out or state.config.cache_dir / "newsletter" / "dry-run"
            issue, files = nl.preview(lst, site, folder)
            _info(
                state,
                f"{lst.id} #{issue.number}: {issue.articles} article(s), {len(files)} message(s) "
                f"written to {folder / f'{lst.id}-{issue.number}'} (nothing sent)",
            )
            return
        built = nl.build(lst, site)
        if built is None:
            raise NothingNew(lst.id)
        _info(
            state,
            f"{lst.id} #{built.number}: {built.articles} article(s) ready: {built.subject}\n"
            f"send it with: syndicate newsletter send --list {lst.id}",
        )


@newsletter.command()
@list_option
@pass_state
def send(state: State, list_id: str) -> None:
    """Send the list's open issue (building it if needed) to every active subscriber."""
    with user_errors(state), open_newsletter(state, worker=True) as nl:
        lst = nl.settings.get_list(list_id)
        try:
            # No lock: senders claim copies with leases, so several may share an issue
            # (on PostgreSQL, from many hosts); each subscriber still gets one copy.
            with SmtpSender(nl.settings.smtp, root=state.config.root) as sender:
                report = nl.send(lst, sender, lambda: _site(state))
        except KeyboardInterrupt:
            raise SyndicateError(_interrupted(nl, lst.id)) from None
        if report.issue is None:
            _info(state, f"{lst.id}: no new articles since the last issue; nothing to send")
            return
        number = report.issue.number
        for email, detail in report.refused:
            err.print(f"refused: {email}: {detail}", markup=False)
        for email, detail in report.deferred:
            err.print(f"deferred: {email}: {detail}", markup=False)
        _info(
            state,
            f"{lst.id} #{number}: {report.sent} sent, {len(report.refused)} refused, "
            f"{report.skipped} skipped, {report.pending} pending" + _later(report),
        )


def _later(report: SendReport) -> str:
    """When a rerun has something to do (deferred copies wait for their retry time)."""
    if report.done:
        return ""
    if report.next_due is None or report.next_due <= time.time():
        return " (run send again later)"
    when = datetime.fromtimestamp(report.next_due).astimezone().strftime("%Y-%m-%d %H:%M")
    return f" (next retry due {when}: run send again then, or from a timer)"


def _interrupted(nl: Newsletter, list_id: str) -> str:
    issue = nl.store.open_issue(list_id)
    if issue is None:
        return "interrupted; nothing was left half-sent"
    counts = nl.store.counts(issue.id)
    return (
        f"interrupted: {list_id} #{issue.number} sent to {counts.get('sent', 0)}, "
        f"{counts.get('pending', 0)} pending; rerun send to finish (nobody gets a second copy)"
    )


@newsletter.command("unsubscribe-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds before an idle or incomplete request is cut off.",
)
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@pass_state
def unsubscribe_server(state: State, host: str, port: int, timeout: float, threads: int) -> None:
    """Serve the one-click unsubscribe endpoint (put it behind your HTTPS proxy)."""
    with user_errors(state), open_newsletter(state) as nl:
        app = UnsubscribeApp(nl.store, nl.settings, nl.signer())
        try:
            server = make_unsubscribe_server(app, host, port, timeout=timeout, threads=threads)
        except OSError as exc:
            raise SyndicateError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound = server.effective_port
        _info(state, f"unsubscribe endpoint on http://{host}:{bound}/ (Ctrl-C stops)")
        try:
            server.run()
        except KeyboardInterrupt:
            _info(state, "stopped")
        finally:
            server.close()


@click.group()
def subscribers() -> None:
    """Manage newsletter subscribers (embedded store)."""


@subscribers.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@list_option
@pass_state
def import_(state: State, file: Path, list_id: str) -> None:
    """Import `email[,name]` rows from a CSV file; bad rows are reported and skipped."""
    with user_errors(state), open_newsletter(state) as nl:
        lst = nl.settings.get_list(list_id)
        added = existing = bad = 0
        for row in read_subscriber_csv(file):
            if isinstance(row, CsvProblem):
                bad += 1
                err.print(f"{file}:{row.line}: {row.message}", markup=False)
                continue
            _, created = nl.store.add_subscriber(lst.id, row.email, row.name)
            if created:
                added += 1
            else:
                existing += 1
        _info(
            state,
            f"{lst.id}: {added} added, {existing} already on the list (unchanged), "
            f"{bad} invalid row(s) skipped",
        )


@subscribers.command()
@click.argument("email")
@list_option
@click.option("--name", default="", help="Display name.")
@pass_state
def add(state: State, email: str, list_id: str, name: str) -> None:
    """Add one subscriber (an existing address keeps its status)."""
    with user_errors(state), open_newsletter(state) as nl:
        lst = nl.settings.get_list(list_id)
        subscriber, created = nl.store.add_subscriber(
            lst.id, normalize_address(email), " ".join(name.split())
        )
        if created:
            _info(state, f"{lst.id}: added {subscriber.email}")
        else:
            _info(
                state, f"{lst.id}: {subscriber.email} is already on the list ({subscriber.status})"
            )


@subscribers.command()
@click.argument("email")
@list_option
@pass_state
def remove(state: State, email: str, list_id: str) -> None:
    """Erase a subscriber and their delivery history."""
    with user_errors(state), open_newsletter(state) as nl:
        lst = nl.settings.get_list(list_id)
        try:
            key = normalize_address(email)
        except SyndicateError:
            key = email.strip()
        subscriber = nl.store.find_subscriber(lst.id, key)
        if subscriber is None:
            raise SyndicateError(f"{email} is not on list {lst.id!r}")
        nl.store.remove_subscriber(subscriber.id)
        _info(state, f"{lst.id}: removed {subscriber.email}")


@subscribers.command("list")
@list_option
@click.option("--status", type=click.Choice(SUBSCRIBER_STATUSES), help="Only this status.")
@pass_state
def list_(state: State, list_id: str, status: SubscriberStatus | None) -> None:
    """Print the list's subscribers: address, status, name (tab-separated)."""
    with user_errors(state), open_newsletter(state) as nl:
        lst = nl.settings.get_list(list_id)
        for subscriber in nl.store.subscribers(lst.id, status):
            click.echo(f"{subscriber.email}\t{subscriber.status}\t{subscriber.name}")


COMMANDS: tuple[click.Command, ...] = (newsletter, subscribers)
