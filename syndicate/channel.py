"""The channel adapter interface, and discovery of installed channels via entry points.

A channel is one module that declares what it writes (like a Sphinx builder or a Hugo
output format). The core only knows this interface; it never imports a channel.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args

import click
from pydantic import ValidationError

from .config import ChannelSettings, Config, format_validation_error
from .errors import ChannelError, ConfigError
from .model import Article, Site

if TYPE_CHECKING:
    from .templating import Templates

ENTRY_POINT_GROUP = "syndicate.channels"


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file a channel writes, relative to the output folder (POSIX path, no '..')."""

    path: str
    content: bytes

    @classmethod
    def text(cls, path: str, text: str) -> OutputFile:
        return cls(path, text.encode("utf-8"))


@dataclass(frozen=True)
class Deferred:
    """Output that is rendered only when `key` changed since the last publish.

    `render_site` yields these for pages that depend on a slice of the site (a section's
    first page, a tag feed): `key` must fingerprint every input of `render`, e.g. the
    slugs and content hashes of the articles listed. Unchanged keys cost nothing.
    """

    key: str
    render: Callable[[], Iterable[OutputFile]]


@dataclass(frozen=True)
class ChannelContext:
    """What a channel may use besides the site: its settings, templates and folders."""

    config: Config
    templates: Templates
    output_dir: Path  # the live output folder (read-only for channels; use OutputFile)
    state_dir: Path  # per-channel folder for state kept between publishes (not a cache)


@dataclass(frozen=True)
class PublishReport:
    """Handed to `after_publish` once the new output is live."""

    site: Site
    written: tuple[str, ...]  # output paths whose bytes changed
    removed: tuple[str, ...]
    now: datetime | None = None  # the time the publish ran at (`--now`), for deliveries


SettingsT = TypeVar("SettingsT", bound=ChannelSettings)


class Channel(ABC, Generic[SettingsT]):
    """Base class of every channel adapter.

    Subclasses name their settings class as the type argument (`Channel[HtmlSettings]`):
    `syndicate.yaml`'s `channels.<name>` is validated against it, and `self.settings` is
    typed as it, with no casts in the channel. They set `name` and `summary`, and
    implement `render_site`; per-article output goes in `render_article`, which must be a
    pure function of the article and the channel's settings so the pipeline may cache it
    and run it in parallel.
    """

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    # Taken from the type argument; a channel written before that may still set it.
    Settings: ClassVar[type[ChannelSettings]] = ChannelSettings
    # Channels that need setup (partners, mailing lists) run only when enabled in config.
    enabled_by_default: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Settings" in cls.__dict__:
            return
        for base in getattr(cls, "__orig_bases__", ()):
            for argument in get_args(base):
                if isinstance(argument, type) and issubclass(argument, ChannelSettings):
                    cls.Settings = argument

    def __init__(self, settings: SettingsT, context: ChannelContext) -> None:
        self.settings = settings
        self.context = context

    def render_article(self, article: Article, site: Site) -> Iterable[OutputFile]:
        """Files for one article (pages, images). Pure: same inputs, same bytes."""
        return ()

    def article_key(self, article: Article, site: Site) -> str:
        """What `render_article` reads from the site besides the article itself.

        The pipeline skips re-rendering an article whose fields, this key, the channel's
        settings and the templates are all unchanged. A channel whose article pages show
        neighbours (previous/next links) returns their titles and URLs here.
        """
        return ""

    @abstractmethod
    def render_site(self, site: Site) -> Iterable[OutputFile | Deferred]:
        """Files that depend on many articles (indexes, feeds, sitemaps)."""

    def after_publish(self, report: PublishReport) -> None:
        """Runs after the new output is live: record deliveries, ping hubs."""

    @classmethod
    def settings_problems(cls, settings: ChannelSettings) -> list[str]:
        """Problems `syndicate check` reports that do not stop a publish (one per line).

        E.g. a partner whose `${VAR}` is unset: that partner waits, the site still builds.
        """
        return []

    @classmethod
    def commands(cls) -> Iterable[click.Command]:
        """Extra CLI commands this channel adds (`syndicate push`, `syndicate print`...)."""
        return ()


AnyChannel = Channel[Any]  # a channel of any settings, as the core handles them


@dataclass(frozen=True)
class InstalledChannel:
    name: str
    entry_point: EntryPoint

    def load(self) -> type[AnyChannel]:
        try:
            loaded = self.entry_point.load()
        except Exception as exc:  # a broken third-party package must not hide the others
            raise ChannelError(
                f"channel {self.name!r} ({self.entry_point.value}) failed to load: {exc}"
            ) from exc
        if not (isinstance(loaded, type) and issubclass(loaded, Channel)):
            raise ChannelError(
                f"channel {self.name!r}: {self.entry_point.value} is not a "
                "syndicate.channel.Channel subclass"
            )
        return loaded


@cache
def channel_entry_points() -> tuple[EntryPoint, ...]:
    """The `syndicate.channels` entry points, by name. Scanning every installed package's
    metadata costs ~60 ms, and a publish needs them twice (code stamps, then loading);
    installing a channel needs a new process, as for any Python plugin."""
    return tuple(sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name))


def installed_channels() -> dict[str, InstalledChannel]:
    """Every channel registered under the `syndicate.channels` entry point group."""
    found = {ep.name: InstalledChannel(ep.name, ep) for ep in channel_entry_points()}
    return dict(sorted(found.items()))


def channel_settings(cls: type[AnyChannel], config: Config) -> ChannelSettings:
    raw: Mapping[str, Any] = config.channel_settings(cls.name)
    try:
        return cls.Settings.model_validate(dict(raw))
    except ValidationError as exc:
        lines = format_validation_error(f"channels.{cls.name}", exc, str(config.source))
        raise ConfigError("\n".join(lines)) from None


def select_channels(config: Config, requested: list[str] | None) -> list[type[AnyChannel]]:
    """The channel classes to run: `--channels`, else `publish.channels`, else the defaults."""
    installed = installed_channels()
    for name in config.file.channels:
        if name not in installed:
            raise ConfigError(
                f"{config.describe('channels.' + name)}: no channel named "
                f"{name!r} is installed (installed: {', '.join(installed)})"
            )
    names = requested if requested is not None else config.file.publish.channels
    if names is not None:
        unknown = [n for n in names if n not in installed]
        if unknown:
            raise ConfigError(f"unknown channel {unknown[0]!r} (installed: {', '.join(installed)})")
        return [installed[n].load() for n in names]
    chosen = []
    for name, channel in installed.items():
        cls = channel.load()
        enabled = config.channel_settings(name).get("enabled")
        if enabled is True or (enabled is None and cls.enabled_by_default):
            chosen.append(cls)
    return chosen
