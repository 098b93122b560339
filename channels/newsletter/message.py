"""One subscriber's copy of an issue as an RFC 5322 / MIME message (stdlib `email`).

Message-IDs are derived from (issue, subscriber), so a message rebuilt after a crash has
the same id and a receiving system can recognise it; List-Unsubscribe carries both a
mailto and an RFC 8058 one-click https link, as Gmail and Yahoo require of bulk senders.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .settings import ListSettings

# Pre-folded raw headers (List-Unsubscribe) must go out as written: the default policy would
# turn a line longer than 78 characters into RFC 2047 encoded words, which breaks the URLs.
POLICY = SMTP.clone(refold_source="none")
UTF8_POLICY = POLICY.clone(utf8=True)
_ATOM_PHRASE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$")


def site_domain(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def message_id(list_id: str, issue_number: int, subscriber_id: int, domain: str) -> str:
    """Stable per (list, issue, subscriber): resends after a crash keep the same id."""
    digest = hashlib.sha256(f"{list_id}:{issue_number}:{subscriber_id}".encode()).hexdigest()
    return f"<{list_id}.{issue_number}.{subscriber_id}.{digest[:16]}@{domain}>"


def one_click_url(base: str, token: str) -> str:
    """The endpoint URL with `token=` added to any query it already has."""
    parts = urlsplit(base)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"token": token})))


def mailto_url(address: str, token: str) -> str:
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


def list_id_header(lst: ListSettings, domain: str) -> str:
    """RFC 2919 `Title <list-id.domain>`; a title with specials is quoted."""
    title = lst.title
    if title.isascii() and not _ATOM_PHRASE.match(title):
        title = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{title} <{lst.id}.{domain}>"


def _mailbox(name: str, address: str) -> Address | str:
    """`Name <address>`; the stdlib Address refuses a non-ASCII local part, so that is quoted
    by hand (the display name as a quoted-string, which UTF-8 headers allow)."""
    if not name:
        return address
    if address.isascii():
        return Address(display_name=name, addr_spec=address)
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def build_message(
    *,
    lst: ListSettings,
    subject: str,
    body: str,
    to_email: str,
    to_name: str,
    msg_id: str,
    domain: str,
    unsubscribe_url: str | None,
    unsubscribe_mailto: str | None,
    date: datetime | None = None,
) -> EmailMessage:
    # A non-ASCII local part (RFC 6531) can only be written in UTF-8; SMTPUTF8 carries it.
    message = EmailMessage(policy=POLICY if to_email.isascii() else UTF8_POLICY)
    message["From"] = lst.from_
    message["To"] = _mailbox(to_name, to_email)
    if lst.reply_to:
        message["Reply-To"] = lst.reply_to
    message["Subject"] = subject
    message["Date"] = date or datetime.now(UTC)
    message["Message-ID"] = msg_id
    message["List-Id"] = list_id_header(lst, domain)
    targets = []
    if unsubscribe_mailto:
        targets.append(f"<{unsubscribe_mailto}>")
    if unsubscribe_url:
        targets.append(f"<{unsubscribe_url}>")
    if targets:
        message.set_raw("List-Unsubscribe", ",\n ".join(targets))
    if unsubscribe_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Precedence"] = "bulk"  # tells auto-responders not to answer
    # Quoted-printable keeps every encoded line under 78 octets even for Chinese text.
    cte = "7bit" if body.isascii() else "quoted-printable"
    message.set_content(body, subtype="plain", charset="utf-8", cte=cte)
    return message
