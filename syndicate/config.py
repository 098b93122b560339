"""Site configuration (`syndicate.yaml`): validated, with errors that name the key.

Secrets never live in the file: a `Secret` field must be written as `${ENV_VAR}` and is
read from the environment only when a channel needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .model import SiteInfo
from .yamlio import Loader, yaml_error_line

CONFIG_NAME = "syndicate.yaml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def expand_env(value: Any) -> Any:
    """Replace `${NAME}` in a string with the environment variable NAME (which must be set)."""
    if not isinstance(value, str):
        return value

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(lookup, value)


EnvStr = Annotated[str, BeforeValidator(expand_env)]
"""A string setting that may reference environment variables, expanded when loaded."""


class Secret:
    """A credential named in syndicate.yaml as `${NAME}` and read from the environment on use.

    Its repr never shows the value, so it cannot leak into logs, errors or stored state.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def reveal(self) -> str:
        try:
            return os.environ[self.name]
        except KeyError:
            raise ConfigError(f"environment variable {self.name} is not set") from None

    def __repr__(self) -> str:
        return f"Secret(${{{self.name}}})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @classmethod
    def parse(cls, value: Any) -> Secret:
        if isinstance(value, Secret):
            return value
        match = _ENV_REF.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise ValueError(
                "secrets are not stored in syndicate.yaml: write ${ENV_VAR} and set it "
                "in the environment"
            )
        return cls(match.group(1))


SecretField = Annotated[
    Secret,
    BeforeValidator(Secret.parse),
    # Serialised as the reference, never the value: settings are fingerprinted and logged.
    PlainSerializer(lambda secret: f"${{{secret.name}}}", return_type=str),
]


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in syndicate.yaml must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class ChannelSettings(StrictModel):
    """Base of every channel's settings; `enabled` overrides the channel's default."""

    enabled: bool | None = None


class SiteSettings(StrictModel):
    title: str = Field(min_length=1)
    base_url: str
    language: str = "en"
    timezone: str | None = None
    description: str = ""
    # Permanent article ids are tag: URIs (RFC 4151) built from these two; set them once
    # and never change them, even if the site moves to another domain.
    id_authority: str | None = None  # default: the host of base_url
    id_date: str = Field(default="2024-01-01", pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    # WebSub hubs: the feeds announce them (rel="hub"), the push channel pings them.
    websub_hubs: list[str] = []

    @field_validator("websub_hubs")
    @classmethod
    def _absolute_hubs(cls, value: list[str]) -> list[str]:
        for hub in value:
            if not re.match(r"^https?://[^/\s]+", hub):
                raise ValueError(f"{hub!r} must be an absolute http:// or https:// URL")
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an absolute http:// or https:// URL")
        return value.rstrip("/") + "/"

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not _LANGUAGE.match(value):
            raise ValueError(f"{value!r} is not a BCP 47 language tag such as en or zh-Hans")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value


class PublishSettings(StrictModel):
    # None: every installed channel that is enabled by default or in `channels:`.
    channels: list[str] | None = None


class ConfigFile(StrictModel):
    site: SiteSettings
    content_dir: str = "content"
    output_dir: str = "public"
    static_dir: str = "static"  # copied as is into the output (images, robots extras)
    cache_dir: str = ".syndicate/cache"  # safe to delete: the next publish is a cold one
    state_dir: str = ".syndicate/state"  # delivery state (outbox, subscribers): keep it
    # Delivery state on PostgreSQL instead (workers on many hosts): postgresql://... with
    # ${VAR}s for credentials, expanded only when the store is opened.
    state_url: str | None = None
    permalink: str = "{section}/{slug}/"
    max_file_bytes: int = Field(default=5_000_000, gt=0)
    publish: PublishSettings = PublishSettings()
    channels: dict[str, dict[str, Any] | None] = {}

    @model_validator(mode="after")
    def _state_outside_cache(self) -> ConfigFile:
        cache = PurePosixPath(self.cache_dir)
        state = PurePosixPath(self.state_dir)
        if state == cache or cache in state.parents:
            raise ValueError(
                "state_dir must not be inside cache_dir: the cache is safe to delete, "
                "delivery state (outbox, subscribers) is not"
            )
        return self

    @field_validator("state_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://", "${")):
            raise ValueError("must be a postgresql:// URL (credentials as ${VARIABLES})")
        return value

    @field_validator("permalink")
    @classmethod
    def _permalink_has_slug(cls, value: str) -> str:
        if "{slug}" not in value:
            raise ValueError("must contain {slug} so every article has its own URL")
        try:
            value.format(section="s", slug="x", year="2024", month="01", day="01")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"unknown placeholder {exc}; use {{section}} {{slug}} {{year}} {{month}} {{day}}"
            ) from None
        return value.strip("/") + "/"


@dataclass(frozen=True)
class Config:
    """The loaded configuration, with paths resolved against the config file's folder."""

    root: Path
    file: ConfigFile
    source: Path | None = None

    @property
    def site(self) -> SiteInfo:
        s = self.file.site
        zone = ZoneInfo(s.timezone) if s.timezone else None
        authority = s.id_authority or urlsplit(s.base_url).hostname or "localhost"
        return SiteInfo(
            s.title, s.base_url, s.language, zone, s.description, authority, s.id_date,
            tuple(s.websub_hubs),
        )  # fmt: skip

    @property
    def content_dir(self) -> Path:
        return self.root / self.file.content_dir

    @property
    def static_dir(self) -> Path:
        return self.root / self.file.static_dir

    @property
    def output_dir(self) -> Path:
        return self.root / self.file.output_dir

    @property
    def cache_dir(self) -> Path:
        return self.root / self.file.cache_dir

    @property
    def state_dir(self) -> Path:
        return self.root / self.file.state_dir

    def channel_settings(self, name: str) -> Mapping[str, Any]:
        return self.file.channels.get(name) or {}

    def describe(self, key: str) -> str:
        """'syndicate.yaml: key' for messages about a setting."""
        return f"{self.source or CONFIG_NAME}: {key}"


def format_validation_error(prefix: str, error: ValidationError, where: str) -> list[str]:
    """One readable line per pydantic error: `file: key.path: message`."""
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown setting"
        lines.append(f"{where}: {key}: {message}")
    return lines


def load_config(path: Path) -> Config:
    """Read and validate syndicate.yaml; raise ConfigError with every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found (run syndicate in the site folder or pass --config)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=Loader) or {}
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"{path}: invalid value: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        parsed = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(format_validation_error("", exc, str(path)))) from None
    return Config(root=path.parent.resolve(), file=parsed, source=path)
