"""Atom entries written directly, byte-identical to the feedgen path, for archive pages.

The archive holds every article of the site (10,000 on a large one), while the
subscription feeds together list only the newest few hundred. Building each archive
entry as a feedgen FeedEntry and an lxml tree cost about a millisecond per article,
most of the channel's time, so archive entries are written as text here. A test keeps
this writer byte-identical to `serialize_entry(build_entry(item), "atom")`, so the two
paths cannot drift apart; feedgen remains the writer of every subscription feed.
"""

from __future__ import annotations

from .items import FeedItem

_IN = "    "  # children of an entry (level 1 in the document)


def _text(value: str) -> str:
    """Escaped as lxml escapes text (chained replace: C speed on long bodies)."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def _attr(value: str) -> str:
    """Escaped as lxml escapes attribute values."""
    value = _text(value).replace('"', "&quot;")
    if "\n" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def _element(name: str, text: str, attributes: str = "") -> str:
    return f"{_IN}<{name}{attributes}>{_text(text)}</{name}>\n"


def atom_entry(item: FeedItem, *, full: bool = True) -> bytes:
    """The Atom entry of `item` as `entries.EntryCache.xml(item, "atom")` would write it."""
    out = ["<entry>\n"]
    out.append(_element("id", item.uid))
    out.append(_element("title", item.title))
    out.append(_element("updated", item.modified.isoformat()))
    for name in item.authors:
        out.append(f"{_IN}<author>\n{_IN}  <name>{_text(name)}</name>\n{_IN}</author>\n")
    if full and item.content_html:
        out.append(_element("content", item.content_html, ' type="html"'))
    out.append(f'{_IN}<link rel="alternate" type="text/html" href="{_attr(item.url)}"/>\n')
    if item.image is not None:
        kind = f' type="{_attr(item.image.mime_type)}"' if item.image.mime_type else ""
        out.append(f'{_IN}<link rel="enclosure"{kind} href="{_attr(item.image.url)}"/>\n')
    if item.source is not None and item.source.url:
        out.append(
            f'{_IN}<link rel="via" href="{_attr(item.source.url)}"'
            f' title="{_attr(item.source.name)}"/>\n'
        )
    summary = item.summary or item.title
    if summary:
        out.append(_element("summary", summary))
    for c in item.categories:
        out.append(
            f'{_IN}<category term="{_attr(c.term)}" scheme="{_attr(c.scheme)}"'
            f' label="{_attr(c.label)}"/>\n'
        )
    out.append(_element("published", item.published.isoformat()))
    if item.image is not None:
        kind = f' type="{_attr(item.image.mime_type)}"' if item.image.mime_type else ""
        out.append(f'{_IN}<media:content url="{_attr(item.image.url)}"{kind} medium="image"/>\n')
    out.append("  </entry>\n")
    return "".join(out).encode("utf-8")
