"""Atom 1.0 and RSS 2.0 documents through feedgen, deterministic to the byte.

feedgen traps handled here: the feed's `updated`/`lastBuildDate` is set to the newest
item's modification date (feedgen's default is "now", which would change the bytes on
every publish); the RSS channel `<link>` is the last link added, so the alternate (HTML
page) link goes last. The WebSub hub link and the RFC 5005 archive marker come from a
small feedgen extension, since feedgen writes only the self link into RSS.

Speed: feedgen builds the feed head; each entry is written once (by `atomfast` and
`rssfast`, kept byte-identical to feedgen's `entries.py` by tests) and its bytes are
spliced into every feed that lists it, newest first (the order given, which also
sidesteps feedgen's `add_entry` prepending by default). A large site has ~300 feeds
sharing the same entries; having feedgen rebuild and reserialise them for each feed
took most of the channel's time.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.util import find_spec
from typing import Any, Literal

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from .xmlsafe import hex_plain_text

# feedgen's load_extension() first tries `feedgen.ext.<name>_entry` and falls back to the
# feed module when there is none. A failed import is not remembered, so every feed head
# searched sys.path twice again; None in sys.modules makes that import fail at once.
for _missing in ("feedgen.ext.media_entry", "feedgen.ext.dc_entry"):
    if _missing not in sys.modules and find_spec(_missing) is None:
        sys.modules[_missing] = None  # type: ignore[assignment]

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
GENERATOR = "syndicate"

XmlFormat = Literal["atom", "rss"]

# Namespaces every feed document declares on its root (feedgen's own plus the
# extensions loaded in `render_head`), so spliced entries need not repeat them.
ROOT_NAMESPACES: dict[XmlFormat, dict[str, str]] = {
    "atom": {"media": "http://search.yahoo.com/mrss/"},
    "rss": {
        "media": "http://search.yahoo.com/mrss/",
        "dc": "http://purl.org/dc/elements/1.1/",
        "atom": ATOM_NS,
        "content": "http://purl.org/rss/1.0/modules/content/",
    },
}
_CLOSING = {"atom": b"</feed>", "rss": b"</channel>"}
_LEVEL = {"atom": 1, "rss": 2}  # depth of an entry/item below the document root
_INDENT = {fmt: b"  " * level for fmt, level in _LEVEL.items()}
_NS_DECLARATION = re.compile(rb' xmlns:([A-Za-z][\w.-]*)="([^"]*)"')


@dataclass(frozen=True)
class FeedHead:
    """Feed-level metadata, independent of the format."""

    feed_id: str
    title: str
    description: str
    language: str
    author: str
    home_url: str
    self_url: str
    updated: datetime
    hub: str | None = None
    links: tuple[tuple[str, str], ...] = ()  # extra (rel, href): prev-archive, current...
    archive: bool = False  # an RFC 5005 archive document (<fh:archive/>)
    stylesheet_url: str | None = None


class ChannelExtras(BaseExtension):  # type: ignore[misc]
    """Adds what feedgen cannot: atom:link rel=hub in RSS, and <fh:archive/> in Atom."""

    head: FeedHead | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS} if self.head is not None and self.head.archive else {}

    def extend_atom(self, feed: Any) -> Any:
        if self.head is not None and self.head.archive:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, feed: Any) -> Any:
        if self.head is not None and self.head.hub:
            channel = feed[0]
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", rel="hub", href=self.head.hub)
        return feed


# Plain-text elements (the W3C validator's "nonhtml", in RSS and Atom): `escape_plain_text`.
_RSS_PLAIN = re.compile(rb"<(title|description|subtitle)>([^<]*)</\1>")
_RSS_TITLE = re.compile(rb"<(title)>([^<]*)</title>")


def _hex_plain(match: re.Match[bytes]) -> bytes:
    name, text = match.group(1), match.group(2)
    return b"<" + name + b">" + hex_plain_text(text) + b"</" + name + b">"


def render_head(fmt: XmlFormat, head: FeedHead) -> bytes:
    """The feed document without entries, as feedgen writes it."""
    fg = FeedGenerator()
    fg.load_extension("media", atom=True, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("syndicate", ChannelExtras, None, atom=True, rss=True)
    fg.syndicate.head = head
    fg.id(head.feed_id)
    fg.title(head.title)
    fg.subtitle(head.description)  # also the RSS <description>
    fg.language(head.language)
    fg.author({"name": head.author})
    fg.generator(GENERATOR)
    fg.updated(head.updated)  # also lastBuildDate; never "now"
    mime = "application/atom+xml" if fmt == "atom" else "application/rss+xml"
    fg.link(href=head.self_url, rel="self", type=mime)
    if head.hub:
        fg.link(href=head.hub, rel="hub")
    for rel, href in head.links:
        fg.link(href=href, rel=rel, type="application/atom+xml")
    fg.link(href=head.home_url, rel="alternate", type="text/html")  # last: the RSS <link>
    data: bytes = fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)
    data = _RSS_PLAIN.sub(_hex_plain, data)  # title, description/subtitle (no entries yet)
    if head.stylesheet_url:
        data = add_stylesheet(data, head.stylesheet_url)
    return data


def serialize_entry(entry: FeedEntry, fmt: XmlFormat) -> bytes:
    """One entry's XML, indented for its place, without the declarations its root carries.

    The element is first put under a stand-in root with the feed's prefixes, so lxml
    writes `content:encoded` rather than inventing `ns0:`; the declarations it then
    repeats on the entry's start tag are dropped (the real root has them).
    """
    element = entry.atom_entry() if fmt == "atom" else entry.rss_entry()
    declared = ROOT_NAMESPACES[fmt]
    etree.Element("root", nsmap=declared).append(element)
    etree.indent(element, space="  ", level=_LEVEL[fmt])
    data: bytes = etree.tostring(element, encoding="utf-8") + b"\n"
    data = _RSS_TITLE.sub(_hex_plain, data, count=1)  # the entry's own title
    end = data.index(b">")

    def drop(match: re.Match[bytes]) -> bytes:
        prefix, uri = match.group(1).decode(), match.group(2).decode()
        return b"" if declared.get(prefix) == uri else match.group(0)

    return _NS_DECLARATION.sub(drop, data[:end]) + data[end:]


def assemble(fmt: XmlFormat, head: bytes, entries: Sequence[bytes]) -> bytes:
    """`head` with `entries` inserted, in order, before the closing feed/channel tag."""
    return assemble_pieces(fmt, head, [(entry,) for entry in entries])


def assemble_pieces(fmt: XmlFormat, head: bytes, entries: Sequence[Sequence[bytes]]) -> bytes:
    """`assemble` for entries given in pieces, each entry the concatenation of its own."""
    if not entries:
        return head
    # Line start of the closing tag: entries go there, each indented like the tag's
    # children (only their first line: re-indenting would change text content).
    at = head.rindex(b"\n", 0, head.rindex(_CLOSING[fmt])) + 1
    indent = _INDENT[fmt]
    parts = [head[:at]]
    for pieces in entries:  # one join: no indented copy of each (long) entry on the way
        parts.append(indent)
        parts += pieces
    parts.append(head[at:])
    return b"".join(parts)


def entries_size(fmt: XmlFormat, entries: Sequence[bytes]) -> int:
    """The bytes `assemble` adds for these entries."""
    return sum(len(e) for e in entries) + len(_INDENT[fmt]) * len(entries)


def add_stylesheet(document: bytes, href: str) -> bytes:
    """Insert an xml-stylesheet processing instruction right after the XML declaration."""
    declaration_end = document.index(b"?>") + 2
    pi = f'\n<?xml-stylesheet type="text/xsl" href="{_attr(href)}"?>'.encode()
    return document[:declaration_end] + pi + document[declaration_end:]


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
