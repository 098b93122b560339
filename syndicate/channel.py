"""The channel adapter interface, and discovery of installed channels via entry points.

A channel is one module that declares what it writes (like a Sphinx builder or a Hugo
output format). The core only knows this interface; it never imports a channel.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, TypeVar, get_args

import click
from pydantic import ValidationError

from .config import ChannelSettings, Config, format_validation_error
from .digests import fields_digest
from .errors import ChannelError, ConfigError
from .fields import DECLARED
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


EVERY_FIELD: tuple[str, ...] = ("*",)  # a page that shows all of an article (full-text feeds)


class UndeclaredRead(ChannelError):
    """A page read an article field its `Reads` did not declare.

    Not an AttributeError on purpose: Jinja turns those into Undefined, and a template
    would render an empty value instead of failing.
    """


@cache
def article_fields() -> frozenset[str]:
    """Every name a page may declare: the model's fields and properties, and the front
    matter fields `Article` reads through `matter`."""
    names = {f.name for f in dataclass_fields(Article) if not f.name.startswith("_")}
    names |= {n for n, v in vars(Article).items() if isinstance(v, property)}
    names.discard("fingerprint")  # a digest of every field: declare EVERY_FIELD instead
    return frozenset(names | set(DECLARED))


class Reads(NamedTuple):
    """What one page shows: the engine keys the page on exactly this, and hands its
    render only this, so a page cannot show an input its key misses.

    `articles` are the articles it lists, in order; `fields` which of their fields it
    shows (`EVERY_FIELD` for all of them, the body too); `parts` plain values of the
    rest of the site it shows (site facts, section titles, page numbers, a picture's
    digest): str, bytes, numbers, None, and tuples, lists or dicts of those. A named
    tuple, not a dataclass: a publish of 10,000 articles makes 13,000 of them.
    """

    articles: Sequence[Article] = ()
    fields: tuple[str, ...] = ()
    parts: tuple[object, ...] = ()


def checked_fields(fields: tuple[str, ...]) -> tuple[str, ...]:
    """`fields`, once known to name only article fields (checked once per tuple): a
    misspelt field fails when the page is keyed, before anything renders."""
    if type(fields) is not tuple:
        raise ChannelError(f"Reads.fields must be a tuple of field names: {fields!r}")
    if fields not in _CHECKED:
        unknown = [name for name in fields if name not in article_fields()]
        if unknown and fields != EVERY_FIELD:
            known = ", ".join(sorted(article_fields()))
            raise ChannelError(
                f"Reads declares unknown article field {unknown[0]!r} (known: {known})"
            )
        _CHECKED.add(fields)
    return fields


_CHECKED: set[tuple[str, ...]] = set()


class ArticleView:
    """An article as a page declared it: only the declared fields read; any other raises
    `UndeclaredRead` naming the page, the field and the article. Read-only."""

    __slots__ = ("_article", "_page")
    _article: Article
    _page: str
    _fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, article: Article, page: str) -> None:
        object.__setattr__(self, "_article", article)
        object.__setattr__(self, "_page", page)

    def __getattr__(self, name: str) -> Any:  # only for names that are not declared
        if name.startswith("_"):  # __html__, __len__...: what hasattr() probes for
            raise AttributeError(name)
        article: Article = object.__getattribute__(self, "_article")
        page: str = object.__getattribute__(self, "_page")
        declared = ", ".join(self._fields) or "none"
        raise UndeclaredRead(
            f"{page} reads {name!r} of article {article.slug!r} ({article.source_file}), "
            f"but its Reads declares only: {declared}"
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    @property
    def fingerprint(self) -> str:
        """A digest of the declared fields, as the engine keyed the page on them: what a
        channel keeps per-article work by (as by `Article.fingerprint` for whole ones)."""
        return fields_digest(object.__getattribute__(self, "_article"), self._fields)

    def __repr__(self) -> str:
        article: Article = object.__getattribute__(self, "_article")
        return f"ArticleView({article.slug!r}, fields={self._fields})"


@cache
def view_class(fields: tuple[str, ...]) -> type[ArticleView]:
    """A view class with one property per declared field (a property is ~5x cheaper to
    read than a __getattr__ that checks the name)."""
    namespace: dict[str, object] = {"__slots__": (), "_fields": fields}
    for name in fields:
        namespace[name] = property(attrgetter("_article." + name))
    return type("ArticleView", (ArticleView,), namespace)


Listed = Article | ArticleView  # what a page's render is handed for each declared article


@dataclass(frozen=True)
class Page:
    """Output of `render_site` rendered only when what it reads changed.

    The engine fingerprints `reads` (with the channel's code, settings and templates)
    and renders the page when that changed, handing `render` the declared articles:
    the articles themselves for `EVERY_FIELD`, else read-only views of the declared
    fields. `name` (e.g. the output path) names the page in errors.
    """

    reads: Reads
    render: Callable[[tuple[Listed, ...]], Iterable[OutputFile]]
    name: str = ""

    def listed(self) -> tuple[Listed, ...]:
        """The declared articles as the page may read them."""
        reads = self.reads
        fields = checked_fields(reads.fields)
        if fields == EVERY_FIELD:
            return tuple(reads.articles)
        view = view_class(fields)
        name = self.name or "a page"
        return tuple(view(article, name) for article in reads.articles)

    def files(self) -> Iterable[OutputFile]:
        return self.render(self.listed())


@dataclass(frozen=True)
class Deferred:
    """Deprecated: yield a `Page` with a `Reads` declaration, which the engine keys.

    Output rendered only when `key` changed; `key` must fingerprint every input of
    `render`, which nothing checks. Kept so channels written for 0.1 still run.
    """

    key: str
    render: Callable[[], Iterable[OutputFile]]

    def __post_init__(self) -> None:
        warnings.warn(
            "syndicate.channel.Deferred is deprecated: yield Page(Reads(...), render)",
            DeprecationWarning,
            stacklevel=3,
        )


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
    # The article fields `render_site` plans by: which pages and files it yields, which
    # articles each page lists and in which order, the bytes of any `OutputFile` it
    # yields directly (only a `Page`'s declared fields may change its bytes), and what
    # `article_reads` takes from articles besides the ones it lists. After an edit that
    # changes none of these (`plan_key`), a resident publisher keeps the last plan and
    # renders only the pages listing an edited article, handing them its new version.
    # None: any field may, and the channel plans anew after every edit (safe, slower).
    plan_fields: ClassVar[tuple[str, ...] | None] = None

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

    def article_reads(self, article: Article, site: Site) -> Reads:
        """What `render_article` shows of the site besides the article itself.

        The engine keys an article's files on all of the article, this declaration, the
        channel's code, settings and templates, and skips rendering when none changed.
        A channel whose article pages show neighbours (previous/next links) declares
        them as `articles` with the fields it shows, and section titles as `parts`.
        """
        return Reads()

    def plan_key(self, article: Article) -> tuple[object, ...] | None:
        """What of `article` this channel's plan depends on: its `plan_fields`' values
        (None: anything). A channel that plans by a value worked out from several fields
        (a size estimate, say) adds it here."""
        fields = self.plan_fields
        return None if fields is None else tuple([getattr(article, f) for f in fields])

    @abstractmethod
    def render_site(self, site: Site) -> Iterable[OutputFile | Page | Deferred]:
        """Files that depend on many articles (indexes, feeds, sitemaps): a `Page` for
        each one the engine may skip when what it `Reads` did not change."""

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
