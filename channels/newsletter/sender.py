"""SMTP delivery: one reused connection, STARTTLS or TLS, a rate limit, per-recipient outcomes.

Every message has exactly one recipient, so the server's answer is about that subscriber:
250 means accepted (the caller records it as sent at once), 5xx means refused for good,
4xx means try again later. A server that cannot be reached is an SmtpUnavailable error.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Literal

from syndicate.errors import SyndicateError

from .settings import SmtpSettings


class SmtpUnavailable(SyndicateError):
    """The SMTP server cannot be reached or refuses the session (nothing was sent)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Literal["sent", "refused", "deferred", "undeliverable"]
    detail: str = ""


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}"


class SmtpSender:
    """Sends messages over one connection, reconnecting after `messages_per_connection`."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        root: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._root = root or Path.cwd()  # relative ca_file paths are relative to the config
        self._sleep = sleep
        self._clock = clock
        self._conn: smtplib.SMTP | None = None
        self._sent_on_conn = 0
        self._next_slot = 0.0

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.effective_port}"

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        """Open and authenticate a session; SmtpUnavailable with the reason on failure."""
        s = self.settings
        ca_file = self._root / s.ca_file if s.ca_file else None
        try:
            context = ssl.create_default_context(cafile=ca_file)
        except OSError as exc:
            raise SmtpUnavailable(f"cannot read smtp.ca_file {ca_file}: {exc.strerror}") from None
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                conn = smtplib.SMTP_SSL(
                    s.host, s.effective_port, timeout=s.timeout, context=context
                )
            else:
                conn = smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise SmtpUnavailable(
                        f"SMTP server {self.where} does not offer STARTTLS "
                        "(set channels.newsletter.smtp.security)"
                    )
                conn.starttls(context=context)
                conn.ehlo()
            if s.username is not None and s.password is not None:
                conn.login(s.username, s.password.reveal())
        except SmtpUnavailable:
            self._quietly_close(conn)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self._quietly_close(conn)
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise SmtpUnavailable(f"SMTP server {self.where} rejected the login: {reply}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._quietly_close(conn)
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise SmtpUnavailable(
                f"cannot reach SMTP server {self.where}: {reason or type(exc).__name__}"
            ) from None
        self._conn = conn
        self._sent_on_conn = 0

    def _quietly_close(self, conn: smtplib.SMTP | None) -> None:
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        self._quietly_close(conn)

    def _wait_for_slot(self) -> None:
        interval = self.settings.rate.interval
        if interval <= 0:
            return
        now = self._clock()
        if now < self._next_slot:
            self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + interval

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> Outcome:
        """Deliver to one recipient; reconnects once if the server dropped the session.

        An address with a non-ASCII local part goes out with SMTPUTF8 (RFC 6531) when the
        server offers it; otherwise it is `undeliverable` through this server, said why.
        """
        self._wait_for_slot()
        for attempt in (1, 2):
            if self._conn is None or self._sent_on_conn >= self.settings.messages_per_connection:
                self.close()
                self.connect()
            assert self._conn is not None
            if not recipient.isascii() and not self._conn.has_extn("smtputf8"):
                return Outcome(
                    "undeliverable",
                    f"the address needs SMTPUTF8, which SMTP server {self.where} does not offer",
                )
            try:
                self._conn.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
            except (ValueError, UnicodeError) as exc:  # e.g. a header the policy cannot encode
                self._reset()
                return Outcome("undeliverable", f"the message cannot be encoded: {exc}")
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(recipient, (550, b"refused"))
                return Outcome("refused" if code >= 500 else "deferred", _reply(code, text))
            except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
                self._reset()
                return Outcome("undeliverable", f"not supported by {self.where}: {exc}")
            except smtplib.SMTPSenderRefused as exc:
                self.close()
                raise SmtpUnavailable(
                    f"SMTP server {self.where} refused the sender {envelope_from}: "
                    f"{_reply(exc.smtp_code, exc.smtp_error)}"
                ) from None
            except smtplib.SMTPDataError as exc:
                self._reset()
                status: Literal["refused", "deferred"] = (
                    "refused" if exc.smtp_code >= 500 else "deferred"
                )
                return Outcome(status, _reply(exc.smtp_code, exc.smtp_error))
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self.close()
                if attempt == 2:
                    raise SmtpUnavailable(
                        f"SMTP server {self.where} dropped the connection twice: {exc}"
                    ) from None
                continue
            self._sent_on_conn += 1
            return Outcome("sent")
        raise AssertionError("unreachable")

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
