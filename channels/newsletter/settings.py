"""`channels.newsletter:` in syndicate.yaml: lists, SMTP, the unsubscribe endpoint, secret."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from syndicate.config import (
    ChannelSettings,
    Config,
    EnvStr,
    SecretField,
    StrictModel,
    format_validation_error,
)
from syndicate.errors import ConfigError

from .addresses import InvalidAddress, normalize_address

_LIST_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _mailbox(value: str) -> str:
    """'Name <addr>' or 'addr', with a valid address part (normalised)."""
    name, addr = parseaddr(value)
    if not addr:
        raise ValueError(f"{value!r} is not an e-mail address")
    try:
        addr = normalize_address(addr)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None
    return str(Address(display_name=name, addr_spec=addr)) if name else addr


class ListSettings(StrictModel):
    """One mailing list: which articles feed it and who it comes from."""

    id: str
    title: str = Field(min_length=1)
    description: str = ""
    sections: list[str] = Field(
        default_factory=list
    )  # section paths (subsections included); empty and no tags: all
    tags: list[str] = Field(default_factory=list)
    from_: str = Field(alias="from")  # the From header: "Newsroom <news@example.com>"
    sender: str | None = None  # envelope MAIL FROM (bounce address); default: From's address
    reply_to: str | None = None
    postal_address: str = ""  # required by CAN-SPAM and friends in the footer
    max_articles: int = Field(default=20, gt=0, le=500)
    subject: str = "{title} #{number}: {headline}"

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _LIST_ID.match(value):
            raise ValueError("must be lowercase letters, digits and '-' (e.g. morning-digest)")
        return value

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("must be one line (it goes into the Subject and List-Id headers)")
        return value.strip()

    @field_validator("from_", "reply_to")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        return None if value is None else _mailbox(value)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_address(value)
        except InvalidAddress as exc:
            raise ValueError(str(exc)) from None

    @field_validator("sections")
    @classmethod
    def _sections(cls, value: list[str]) -> list[str]:
        return [s.strip("/") for s in value]

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        try:
            value.format(title="t", number=1, headline="h", date="d", count=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"unknown placeholder {exc}; use {{title}} {{number}} {{headline}} {{date}} "
                "{count}"
            ) from None
        return value

    @property
    def envelope_sender(self) -> str:
        return self.sender or parseaddr(self.from_)[1]


class RateLimit(StrictModel):
    per_second: float | None = Field(default=None, gt=0)
    per_minute: float | None = Field(default=None, gt=0)

    @property
    def interval(self) -> float:
        """Seconds to leave between two messages (0: as fast as the server takes them)."""
        gaps = [0.0]
        if self.per_second:
            gaps.append(1 / self.per_second)
        if self.per_minute:
            gaps.append(60 / self.per_minute)
        return max(gaps)


class SmtpSettings(StrictModel):
    host: EnvStr = "localhost"
    port: int | None = Field(default=None, gt=0, lt=65536)  # default by security
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: EnvStr | None = None
    password: SecretField | None = None
    ca_file: Path | None = None  # CA bundle to trust instead of the system's (private relay)
    timeout: float = Field(default=30, gt=0)
    messages_per_connection: int = Field(default=100, gt=0)  # many servers cap a session
    rate: RateLimit = RateLimit()

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"starttls": 587, "tls": 465, "none": 25}[self.security]

    @model_validator(mode="after")
    def _credentials_together(self) -> SmtpSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("set both username and password, or neither")
        return self


class RetrySettings(StrictModel):
    """Temporary refusals (4xx: greylisting, full mailbox) are retried on a schedule.

    The n-th retry waits base * 2**(n-1) seconds (at most `cap`); a recipient still refused
    `give_up_after` seconds after the first refusal is given up on, with the reason.
    """

    base: float = Field(default=300.0, ge=0)
    cap: float = Field(default=2 * 3600.0, ge=0)
    give_up_after: float = Field(default=24 * 3600.0, ge=0)

    def delay(self, attempts: int) -> float:
        return float(min(self.cap, self.base * 2 ** min(attempts - 1, 40)))


class UnsubscribeSettings(StrictModel):
    url: str | None = None  # the public one-click endpoint, e.g. https://news.example.com/unsub
    mailto: str | None = None  # an address whose mail a human or a robot processes

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an absolute https:// URL (RFC 8058 one-click)")
        return value

    @field_validator("mailto")
    @classmethod
    def _mailto(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_address(value.removeprefix("mailto:"))
        except InvalidAddress as exc:
            raise ValueError(str(exc)) from None


class NewsletterSettings(ChannelSettings):
    store: Path | None = None  # SQLite file; default: <state_dir>/newsletter/mailing.sqlite3
    secret: SecretField | None = None  # HMAC key of unsubscribe tokens: ${NEWSLETTER_SECRET}
    lists: list[ListSettings] = Field(default_factory=list)
    smtp: SmtpSettings = SmtpSettings()
    unsubscribe: UnsubscribeSettings = UnsubscribeSettings()
    retry: RetrySettings = RetrySettings()
    width: int = Field(default=72, ge=40, le=78)  # text column width of the digest

    @field_validator("lists")
    @classmethod
    def _unique_ids(cls, value: list[ListSettings]) -> list[ListSettings]:
        seen: set[str] = set()
        for item in value:
            if item.id in seen:
                raise ValueError(f"list id {item.id!r} is used twice")
            seen.add(item.id)
        return value

    def get_list(self, list_id: str) -> ListSettings:
        for item in self.lists:
            if item.id == list_id:
                return item
        known = ", ".join(item.id for item in self.lists) or "none configured"
        raise ConfigError(f"no mailing list {list_id!r} in channels.newsletter.lists ({known})")


def load_settings(config: Config) -> NewsletterSettings:
    """The validated settings, for CLI commands that run outside a publish."""
    try:
        return NewsletterSettings.model_validate(dict(config.channel_settings("newsletter")))
    except ValidationError as exc:
        where = str(config.source or "syndicate.yaml")
        lines = format_validation_error("channels.newsletter", exc, where)
        raise ConfigError("\n".join(lines)) from None


def store_path(settings: NewsletterSettings, config: Config) -> Path:
    if settings.store is None:
        return config.state_dir / "newsletter" / "mailing.sqlite3"
    return settings.store if settings.store.is_absolute() else config.root / settings.store
