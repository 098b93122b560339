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
from string import Formatter
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from . import CONFIG_NAME, validate, yamlio
from .errors import ConfigError
from .ingest.settings import SourceSettings, unique_names
from .model import SiteInfo
from .yamlio import yaml_error_line

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
PERMALINK_FIELDS = ("section", "slug", "year", "month", "day")


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
        validate.url(value)  # no spaces, quotes or character references
        parts = urlsplit(value)
        if "@" in parts.netloc:
            raise ValueError("must not hold a user name or password (it is in every link)")
        if parts.query or parts.fragment:
            raise ValueError("must not hold a ?query or #fragment (paths are appended to it)")
        return value.rstrip("/") + "/"

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        return validate.language_tag(value)

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
    # Minutes a resident publisher started by `syndicate publish` stays for the next
    # publish (0: none; see engine/daemon.py). `publish --resident` starts one anyway.
    resident_minutes: float = Field(default=0, ge=0, le=7 * 24 * 60)


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
    sources: Annotated[list[SourceSettings], AfterValidator(unique_names)] = []  # ingest

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
        try:
            fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(value)]
        except ValueError as exc:
            raise ValueError(f"is not a valid pattern: {exc}") from None
        for name, spec, conversion in fields:
            if name is not None and (name not in PERMALINK_FIELDS or spec or conversion):
                shown = (
                    name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                )
                raise ValueError(
                    f"unknown placeholder {{{shown}}}; use {{section}} {{slug}} {{year}} "
                    "{month} {day}, as they are"
                )
        if "{slug}" not in value:
            raise ValueError("must contain {slug} so every article has its own URL")
        parts = value.strip("/").split("/")
        if any(c in value for c in "?#\\") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(
                "must be a plain path inside the output folder: no '.', '..', '//', "
                "'\\', '?' or '#'"
            )
        try:
            validate.url(value.replace("{", "").replace("}", ""))
        except ValueError as exc:
            raise ValueError(f"is not a URL path: {exc}") from None
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

    @property
    def preview_dir(self) -> Path:
        """Where `serve` builds its preview: the cache's own, deleted with it."""
        return self.cache_dir / "preview"

    def output_folder(self, out: Path | None) -> Path:
        """The resolved output folder; `publish --out` gets the checks `output_dir` got
        on loading (no overlap with the site's other folders)."""
        resolved = (out or self.output_dir).resolve()
        if resolved != self.output_dir.resolve():
            problems = output_problems(self, resolved, "--out")
            if problems:
                raise ConfigError("\n".join(problems))
        return resolved

    def channel_settings(self, name: str) -> Mapping[str, Any]:
        return self.file.channels.get(name) or {}

    def describe(self, key: str) -> str:
        """'syndicate.yaml: key' for messages about a setting."""
        return f"{self.source or CONFIG_NAME}: {key}"


# The folders an output (or the static folder) must keep apart from, and what is in them.
_FOLDERS = (
    ("content_dir", "the articles"),
    ("static_dir", "the static files"),
    ("state_dir", "the push outbox and subscribers"),
    ("cache_dir", "the build cache"),
)


def _relation(a: Path, b: Path) -> str | None:
    """How resolved folder `a` sits against `b`: 'is', 'is inside', 'contains' or None."""
    if a == b:
        return "is"
    if b in a.parents:
        return "is inside"
    if a in b.parents:
        return "contains"
    return None


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        return None


def _too_wide(folder: Path) -> str | None:
    """'/' or the home folder (or a folder above it): never a site's own folder."""
    home = _home()
    if folder == folder.parent:
        return "is the root of the file system"
    if home is not None and (folder == home or folder in home.parents):
        return f"{'is' if folder == home else 'contains'} the home folder {home}"
    return None


def _placement_problems(config: Config, folder: Path, where: str, harm: str) -> list[str]:
    """`folder` (resolved) is '/', the home folder, or the site folder or one above it."""
    wide = _too_wide(folder)
    if wide:
        return [f"{where}: {folder} {wide}; {harm}"]
    if folder == config.root or folder in config.root.parents:
        relation = "is" if folder == config.root else "contains"
        return [f"{where}: {folder} {relation} the site folder (where {CONFIG_NAME} is); {harm}"]
    return []


def output_problems(config: Config, out: Path, key: str) -> list[str]:
    """Why `out` cannot be the output folder: publishing replaces what it holds."""
    out = out.resolve()  # symlinks and '..' resolved before comparing
    where = config.describe(key) if key != "--out" else key
    harm = "publish into a folder of its own, such as public"
    problems = _placement_problems(config, out, where, harm)
    if problems:
        return problems  # it holds every other folder: naming each adds nothing
    for name, what in _FOLDERS:
        folder = getattr(config, name).resolve()
        overlap = _relation(out, folder)
        if overlap and out != config.preview_dir.resolve():
            problems.append(
                f"{where}: {out} {overlap} {name} ({folder}, {what}); "
                "the output folder must not overlap it"
            )
    return problems


def static_problems(config: Config) -> list[str]:
    """Why the static folder cannot be copied as is: it would publish private files."""
    static = config.static_dir.resolve()
    where = config.describe("static_dir")
    harm = f"it would publish {CONFIG_NAME}, drafts and delivery state"
    problems = _placement_problems(config, static, where, harm)
    if problems:
        return problems
    for name, what in _FOLDERS:
        overlap = _relation(static, getattr(config, name).resolve())
        if name != "static_dir" and overlap in ("is", "contains"):
            problems.append(f"{where}: {static} {overlap} {name}: it would publish {what}")
    return problems


def folder_problems(config: Config) -> list[str]:
    """Every overlap between the configured folders, one line each naming the keys."""
    return output_problems(config, config.output_dir, "output_dir") + static_problems(config)


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
        data = yamlio.load(text, max_values=100_000) or {}
    except yamlio.TooComplexError as exc:
        raise ConfigError(f"{path}: too complex: {exc}") from None
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
    config = Config(root=path.parent.resolve(), file=parsed, source=path)
    problems = folder_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    return config
