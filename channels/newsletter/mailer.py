"""Building issues and sending them: the exactly-once loop over the delivery store.

An issue is rendered once and frozen when sending starts; each (issue, subscriber) row is
marked sent in its own transaction right after the SMTP server accepted that message, so a
crash or Ctrl-C loses at most the one message in flight, and a rerun sends only the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from syndicate.config import Config
from syndicate.delivery.mailing import Delivery, Issue, MailingStore, Subscriber
from syndicate.delivery.workers import owner_gone, owner_id
from syndicate.errors import ConfigError, SyndicateError
from syndicate.model import Site
from syndicate.templating import Templates

from .digest import Digest, render_digest, render_footer, select_articles
from .message import build_message, mailto_url, message_id, one_click_url, site_domain
from .sender import SmtpSender, SmtpUnavailable
from .settings import ListSettings, NewsletterSettings
from .tokens import TokenSigner

CLAIM_BATCH = 50  # copies a sender leases at a time: others take the rest in parallel


class IssueInProgress(SyndicateError):
    """A list's previous issue is only partly sent: finish it before building another."""


@dataclass
class SendReport:
    issue: Issue | None
    sent: int = 0
    skipped: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    pending: int = 0
    done: bool = False
    next_due: float | None = None  # when a deferred copy may be retried
    last: str = ""  # the outcome of the latest copy (for progress display)


@dataclass
class Newsletter:
    """One site's newsletter: settings, delivery store and templates bound together."""

    config: Config
    settings: NewsletterSettings
    store: MailingStore
    templates: Templates

    @property
    def width(self) -> int:
        return self.settings.width

    @property
    def domain(self) -> str:
        return site_domain(self.config.site.base_url)

    def signer(self) -> TokenSigner:
        if self.settings.secret is None:
            raise ConfigError(
                f"{self.config.describe('channels.newsletter.secret')}: not set; unsubscribe "
                "tokens need a secret (write ${NEWSLETTER_SECRET} and set it in the environment)"
            )
        return TokenSigner(self.settings.secret.reveal().encode("utf-8"))

    def check_can_send(self) -> None:
        """Fail before anything is sent if messages could not carry List-Unsubscribe."""
        u = self.settings.unsubscribe
        if not u.url and not u.mailto:
            raise ConfigError(
                f"{self.config.describe('channels.newsletter.unsubscribe')}: set url (the "
                "RFC 8058 one-click endpoint) and/or mailto; bulk mail without "
                "List-Unsubscribe is rejected by the big mailbox providers"
            )
        self.signer()

    # building

    def next_digest(self, lst: ListSettings, site: Site, number: int) -> Digest | None:
        since = self.store.newest_covered(lst.id)
        articles = select_articles(site, lst, since)
        if not articles:
            return None
        return render_digest(
            self.templates,
            site,
            lst,
            articles,
            number=number,
            today=date.today(),
            width=self.width,
        )

    def _refuse_if_sending(self, lst: ListSettings) -> None:
        current = self.store.open_issue(lst.id)
        if current is not None and current.status == "sending":
            left = self.store.counts(current.id).get("pending", 0)
            raise IssueInProgress(
                f"issue #{current.number} of list {lst.id!r} is partly sent ({left} pending); "
                f"run `syndicate newsletter send --list {lst.id}` to finish it first"
            )

    def build(self, lst: ListSettings, site: Site) -> Issue | None:
        """Store the list's next issue as a draft (replacing an unsent draft); None: no news."""
        self._refuse_if_sending(lst)
        return self._save_next(lst, site)

    def _save_next(self, lst: ListSettings, site: Site) -> Issue | None:
        """The next issue as a draft, or the issue another sender started meanwhile."""
        digest = self.next_digest(lst, site, self.store.next_number(lst.id))
        if digest is None:
            return None
        return self.store.save_draft(
            lst.id, digest.subject, digest.text, digest.newest, len(digest.articles)
        )

    def message(self, lst: ListSettings, issue: Issue, subscriber: Subscriber) -> EmailMessage:
        """The subscriber's copy: the frozen digest plus a footer with their own links."""
        token = self.signer().token(lst.id, subscriber.id, subscriber.email)
        u = self.settings.unsubscribe
        url = one_click_url(u.url, token) if u.url else None
        mailto = mailto_url(u.mailto, token) if u.mailto else None
        footer = render_footer(
            self.templates,
            self.config.site,
            lst,
            email=subscriber.email,
            unsubscribe_url=url,
            unsubscribe_mailto=u.mailto,
            width=self.width,
        )
        return build_message(
            lst=lst,
            subject=issue.subject,
            body=issue.body + "\n" + footer,
            to_email=subscriber.email,
            to_name=subscriber.name,
            msg_id=message_id(lst.id, issue.number, subscriber.id, self.domain),
            domain=self.domain,
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
        )

    def preview(self, lst: ListSettings, site: Site, out_dir: Path) -> tuple[Issue, list[Path]]:
        """--dry-run: one .eml per active subscriber, and no change to the store."""
        self.check_can_send()
        self._refuse_if_sending(lst)
        number = self.store.next_number(lst.id)
        digest = self.next_digest(lst, site, number)
        if digest is None:
            raise NothingNew(lst.id)
        issue = Issue(
            id=0,
            list_id=lst.id,
            number=number,
            subject=digest.subject,
            body=digest.text,
            newest=digest.newest,
            articles=len(digest.articles),
            status="draft",
            created=digest.newest,
        )
        folder = out_dir / f"{lst.id}-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for subscriber in self.store.subscribers(lst.id, "active"):
            path = folder / f"{subscriber.id:06d}.eml"
            path.write_bytes(self.message(lst, issue, subscriber).as_bytes())
            written.append(path)
        (folder / "digest.txt").write_text(digest.text, encoding="utf-8")
        return issue, written

    # sending

    def send(
        self,
        lst: ListSettings,
        sender: SmtpSender,
        load_site: Callable[[], Site],
        on_progress: Callable[[Subscriber, str], None] = lambda s, o: None,
        clock: Callable[[], float] = time.time,
    ) -> SendReport:
        """Finish the list's open issue, or build and send the next one."""
        self.check_can_send()
        issue = self.store.open_issue(lst.id)
        if issue is None:
            issue = self._save_next(lst, load_site())
            if issue is None:
                return SendReport(issue=None, done=True)
        try:
            sender.connect()  # a server that is down fails here, before anything changes
        except SmtpUnavailable as exc:
            raise SmtpUnavailable(
                f"{exc}; nothing was sent, every message is still pending"
            ) from None
        self.store.start_sending(issue.id)
        report = SendReport(issue=issue)
        owner = owner_id()
        self.store.register(owner)
        self.store.release_owners(owner_gone)  # copies a killed sender had claimed
        try:
            while batch := self.store.claim(
                issue.id, owner=owner, limit=CLAIM_BATCH, lease=self.lease(sender), now=clock()
            ):
                for number, delivery in enumerate(batch):
                    try:
                        self._send_one(lst, issue, delivery, sender, report, clock())
                    except BaseException:
                        self.store.release(batch[number:])  # not attempted: due at once
                        raise
                    on_progress(delivery.subscriber, report.last)
        except SmtpUnavailable as exc:
            left = self.store.counts(issue.id).get("pending", 0)
            raise SmtpUnavailable(
                f"{exc}; {report.sent} sent before it stopped, {left} still pending: "
                f"run `syndicate newsletter send --list {lst.id}` again (nobody gets a second "
                "copy)"
            ) from None
        report.done = self.store.finish_if_done(issue.id)
        report.pending = self.store.counts(issue.id).get("pending", 0)
        report.next_due = self.store.next_due(issue.id)
        return report

    def lease(self, sender: SmtpSender) -> float:
        """Long enough for a whole batch at the worst the server may take per message."""
        per_message = sender.settings.timeout * 2 + sender.settings.rate.interval
        return max(60.0, CLAIM_BATCH * per_message)

    def _send_one(
        self,
        lst: ListSettings,
        issue: Issue,
        delivery: Delivery,
        sender: SmtpSender,
        report: SendReport,
        now: float,
    ) -> None:
        """Send one queued copy and record the outcome in its own transaction."""
        # Look again right before sending: the reader may have unsubscribed meanwhile.
        subscriber = self.store.get_subscriber(delivery.subscriber.id) or delivery.subscriber
        if subscriber.status != "active":  # unsubscribed or bounced since it was queued
            self.store.record(delivery, "skipped", subscriber.status)
            report.skipped += 1
            report.last = "skipped"
            return
        try:
            message = self.message(lst, issue, subscriber)
        except (ValueError, UnicodeError) as exc:  # a name or address no header can carry
            self.store.record(delivery, "failed", f"cannot build message: {exc}")
            report.refused.append((subscriber.email, f"undeliverable: cannot build message: {exc}"))
            report.last = "undeliverable"
            return
        outcome = sender.send(message, lst.envelope_sender, subscriber.email)
        report.last = outcome.status
        if outcome.status == "sent":
            self.store.record(delivery, "sent")
            report.sent += 1
        elif outcome.status == "refused":
            self.store.record(delivery, "failed", outcome.detail)
            self.store.set_status(subscriber.id, "bounced")
            report.refused.append((subscriber.email, outcome.detail))
        elif outcome.status == "undeliverable":  # this server cannot carry it; not a bounce
            self.store.record(delivery, "failed", outcome.detail)
            report.refused.append((subscriber.email, f"undeliverable: {outcome.detail}"))
        else:
            self._defer(issue, delivery, outcome.detail, report, now)

    def _defer(
        self, issue: Issue, delivery: Delivery, detail: str, report: SendReport, now: float
    ) -> None:
        """A 4xx: retry on the backoff schedule, or give up once the retry window is over."""
        retry = self.settings.retry
        since = delivery.deferred_since if delivery.deferred_since is not None else now
        subscriber = delivery.subscriber
        if now - since >= retry.give_up_after:
            hours = (now - since) / 3600
            reason = f"gave up after {delivery.attempts + 1} attempts over {hours:.1f} h: {detail}"
            self.store.record(delivery, "failed", reason)
            report.refused.append((subscriber.email, reason))
            return
        due = now + retry.delay(delivery.attempts + 1)
        self.store.defer(delivery, detail, now=now, due_at=due)
        report.deferred.append((subscriber.email, detail))


class NothingNew(SyndicateError):
    def __init__(self, list_id: str) -> None:
        super().__init__(f"list {list_id!r}: no new articles since the last issue")
