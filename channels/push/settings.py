"""`channels.push:` in syndicate.yaml: partners, their auth, limits and retry policy.

Secrets are `${ENV_VAR}` references (`SecretField`), read only when a request is signed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator

from syndicate.config import (
    ChannelSettings,
    Config,
    EnvStr,
    SecretField,
    StrictModel,
    expand_env,
    format_validation_error,
)
from syndicate.errors import ConfigError

Format = Literal["ninjs", "atom", "jsonfeed"]
_ENV_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")  # as syndicate.config expands them

# Settings are fingerprinted with model_dump_json(); a secret dumps as its `${NAME}`
# reference, never its value (the core SecretField serialises that way).
SecretRef = SecretField


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


def redact_url(url: str) -> str:
    """scheme://host[:port]/path: URLs in messages never carry credentials or query tokens."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


class Timeouts(StrictModel):
    """Seconds to wait for a connection and for the partner's answer (spec: 15-30 s)."""

    connect: float = Field(default=10.0, gt=0)
    read: float = Field(default=30.0, gt=0)

    @property
    def worst_case(self) -> float:
        """Longest one attempt can take: connect, send the body, wait for the answer."""
        return self.connect + 2 * self.read

    @model_validator(mode="before")
    @classmethod
    def _one_number(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"connect": value, "read": value}
        return value


class Backoff(StrictModel):
    """Exponential backoff with full jitter: the n-th retry waits up to base * 2**(n-1)."""

    base: float = Field(default=10.0, ge=0)
    cap: float = Field(default=6 * 3600.0, ge=0)
    # Never wait longer than this for a partner's Retry-After.
    max_retry_after: float = Field(default=24 * 3600.0, ge=0)


class Auth(StrictModel):
    """Standard Webhooks HMAC signatures (default) or a bearer token."""

    type: Literal["standard-webhooks", "bearer"] = "standard-webhooks"
    secret: SecretRef | None = None  # whsec_<base64>, as Standard Webhooks serialises it
    previous_secret: SecretRef | None = None  # also signs during a key rotation
    token: SecretRef | None = None

    @model_validator(mode="after")
    def _fields_match_type(self) -> Auth:
        if self.type == "standard-webhooks":
            if self.secret is None:
                raise ValueError("standard-webhooks needs `secret: ${ENV_VAR}`")
            if self.token is not None:
                raise ValueError("`token` is for type: bearer")
        else:
            if self.token is None:
                raise ValueError("bearer needs `token: ${ENV_VAR}`")
            if self.secret is not None or self.previous_secret is not None:
                raise ValueError("`secret` is for type: standard-webhooks")
        return self


class Partner(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)
    # May hold `${VAR}`s, expanded when sending: one partner's unset variable must not
    # stop the publish or the other partners (`check` and `push status` report it).
    url: str
    allow_private_network: bool = False  # loopback/private/link-local targets (tests, LAN)
    # Which articles: in any of `sections` (subsections included) or with any of `tags`;
    # both empty means every article.
    sections: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    format: Format = "ninjs"
    # A trusted wire client: gets scheduled stories ahead, marked embargoed until their time.
    embargo: bool = False
    auth: Auth
    timeout: Timeouts = Timeouts()
    concurrency: int = Field(default=4, ge=1, le=256)
    max_attempts: int = Field(default=20, ge=1)
    backoff: Backoff = Backoff()

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        shape = _ENV_REF.sub("x", value)
        if "${" in shape:
            raise ValueError("a ${...} reference must be ${NAME} (letters, digits, _)")
        if not value.startswith("${"):  # a whole-URL variable is checked once expanded
            _http_url(shape)
        return value

    def endpoint_url(self) -> str:
        """The URL with its `${VAR}`s expanded; ConfigError naming the partner if it cannot be."""
        try:
            url = _http_url(expand_env(self.url))
            urlsplit(url).port  # noqa: B018 -- ValueError unless 0-65535 (getaddrinfo wraps)
            return url
        except ValueError as exc:
            raise ConfigError(f"partner {self.name!r}: url: {exc}") from None

    def problem(self) -> str | None:
        """Why this partner cannot be sent to now (unset variable, bad secret), if anything."""
        from .signing import Signer  # signing imports this module

        try:
            self.endpoint_url()
            Signer(self.auth)
        except ConfigError as exc:
            message = str(exc)
            prefix = f"partner {self.name!r}: "
            return message if message.startswith(prefix) else prefix + message
        return None

    @field_validator("sections")
    @classmethod
    def _section_paths(cls, value: list[str]) -> list[str]:
        return [s.strip("/") for s in value]

    def wants(self, section: str, tags: tuple[str, ...]) -> bool:
        if not self.sections and not self.tags:
            return True
        for wanted in self.sections:
            if not wanted or section == wanted or section.startswith(wanted + "/"):
                return True
        folded = {t.casefold() for t in tags}
        return any(t.casefold() in folded for t in self.tags)


class PushSettings(ChannelSettings):
    store: str | None = None  # SQLite outbox; default: <state_dir>/push/outbox.sqlite3
    partners: list[Partner] = Field(default_factory=list)
    concurrency: int = Field(default=16, ge=1, le=1024)  # requests in flight, all partners
    lease: float = Field(default=300.0, gt=0)  # seconds a worker owns a claimed delivery
    poll_interval: float = Field(default=2.0, gt=0)  # `push --follow`: look for new work
    ca_bundle: str | None = None  # extra CA file (private partner CAs); TLS is always verified
    hubs: list[EnvStr] = Field(default_factory=list)  # WebSub hubs pinged when feeds change
    # A partner whose every attempt failed for this long is disabled until `push enable`
    # (0: never), as Svix and Standard Webhooks senders do.
    disable_after: float = Field(default=24 * 3600.0, ge=0)

    @field_validator("hubs")
    @classmethod
    def _hub_urls(cls, value: list[str]) -> list[str]:
        return [_http_url(v) for v in value]

    @model_validator(mode="after")
    def _unique_names(self) -> PushSettings:
        seen: set[str] = set()
        for partner in self.partners:
            if partner.name in seen:
                raise ValueError(f"partner name {partner.name!r} is used twice")
            seen.add(partner.name)
            if partner.timeout.worst_case >= self.lease:
                raise ValueError(
                    f"lease ({self.lease:g}s) must be longer than partner {partner.name!r}'s "
                    f"connect + 2 x read timeout ({partner.timeout.worst_case:g}s)"
                )
        return self

    def store_path(self, config: Config) -> Path:
        if self.store:
            return config.root / self.store
        return config.state_dir / "push" / "outbox.sqlite3"

    def ca_path(self, config: Config) -> Path | None:
        return config.root / self.ca_bundle if self.ca_bundle else None

    def partner(self, name: str) -> Partner | None:
        return next((p for p in self.partners if p.name == name), None)


def load_settings(config: Config) -> PushSettings:
    """`channels.push` validated the same way the pipeline does, for the push commands."""
    try:
        return PushSettings.model_validate(dict(config.channel_settings("push")))
    except ValidationError as exc:
        lines = format_validation_error("channels.push", exc, str(config.source))
        raise ConfigError("\n".join(lines)) from None
