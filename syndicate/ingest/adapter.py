"""The source adapter interface, and discovery of installed adapters via entry points.

An adapter turns the bytes of one fetched document into plain `IncomingEntry` values;
it never fetches, writes files or keeps state (the core does). Adapters are found
through the `syndicate.sources` entry point group, exactly like channels, so a newsroom
can add its wire's API without changing syndicate. The core never imports an adapter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import ClassVar

from ..errors import SyndicateError

ENTRY_POINT_GROUP = "syndicate.sources"


class SourceError(SyndicateError):
    """A source could not be fetched, or its document is hostile or unreadable.

    The message is one line; the runner prefixes the source's name."""


@dataclass(frozen=True, slots=True)
class IncomingImage:
    src: str  # absolute, or relative to the entry's base
    caption: str | None = None
    alt: str = ""


@dataclass(frozen=True, slots=True)
class IncomingEntry:
    """One story as the source gives it. Text fields are plain text except `body_html`
    (and `title`, which may hold HTML the core strips); URLs may be relative to `base`."""

    id: str | None  # the source's own id (guid, atom:id, uri); None: the link stands in
    title: str
    link: str | None = None
    published: datetime | None = None  # aware; None when missing or unreadable
    updated: datetime | None = None
    summary: str | None = None
    body_html: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: IncomingImage | None = None
    language: str | None = None
    base: str | None = None  # xml:base and the like; default: the document's URL
    problems: tuple[str, ...] = ()  # what was wrong but survivable ("pubDate 'x' ...")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    entries: tuple[IncomingEntry, ...]
    title: str | None = None
    language: str | None = None  # the document's language, for entries without their own
    base: str | None = None
    problems: tuple[str, ...] = field(default=())


class SourceAdapter(ABC):
    """Base class of every source adapter: set `name`, implement `sniff` and `parse`.

    `parse` must not touch the network or the disk; raise `SourceError` (one clear line)
    for a document it cannot read. Use `syndicate.ingest.documents` to decode charsets
    and parse XML safely.
    """

    name: ClassVar[str]
    summary: ClassVar[str] = ""

    @abstractmethod
    def sniff(self, head: bytes, content_type: str) -> bool:
        """Whether this looks like the adapter's format (`head`: the first 4 kB)."""

    @abstractmethod
    def parse(self, data: bytes, content_type: str, url: str) -> ParsedFeed:
        """The document's entries; `url` is where it was fetched from (after redirects)."""


@cache
def source_entry_points() -> tuple[EntryPoint, ...]:
    return tuple(sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name))


def load_adapter(entry: EntryPoint) -> SourceAdapter:
    try:
        loaded = entry.load()
    except Exception as exc:  # a broken third-party package must not hide the others
        raise SourceError(
            f"source adapter {entry.name!r} ({entry.value}) failed to load: {exc}"
        ) from exc
    if not (isinstance(loaded, type) and issubclass(loaded, SourceAdapter)):
        raise SourceError(
            f"source adapter {entry.name!r}: {entry.value} is not a "
            "syndicate.ingest.adapter.SourceAdapter subclass"
        )
    return loaded()


def installed_adapters() -> dict[str, SourceAdapter]:
    """Every adapter registered under `syndicate.sources`, by name."""
    return {entry.name: load_adapter(entry) for entry in source_entry_points()}


def choose_adapter(
    adapters: dict[str, SourceAdapter], wanted: str | None, data: bytes, content_type: str
) -> SourceAdapter:
    """The configured adapter, else the first (by name) that recognises the document."""
    if wanted is not None:
        if wanted not in adapters:
            raise SourceError(
                f"format {wanted!r}: no such source adapter (installed: {', '.join(adapters)})"
            )
        return adapters[wanted]
    head = data[:4096]
    for adapter in adapters.values():
        if adapter.sniff(head, content_type):
            return adapter
    raise SourceError(
        f"not a feed any installed adapter reads ({', '.join(adapters)}; "
        f"Content-Type {content_type or 'missing'}); set `format:` if it is one"
    )
