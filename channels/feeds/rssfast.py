"""RSS 2.0 items written directly, byte-identical to the feedgen path.

Like `atomfast`: a test keeps this writer byte-identical to
`serialize_entry(build_entry(item), "rss")` (the feedgen reference in `entries.py`),
so subscription feeds need neither a FeedEntry nor an lxml tree per article.
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import lru_cache

from .items import Category, FeedItem, xml_content
from .xmlsafe import escape_attr as _attr
from .xmlsafe import escape_plain_text
from .xmlsafe import escape_text as _text

_IN = "      "  # children of an item (level 2 in the document)
# RFC 822 names, as feedgen writes them (it switches to the C locale for strftime).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(value: datetime) -> str:
    """`value` as feedgen's formatRFC2822 writes it, without touching the process locale."""
    return f"{_DAYS[value.weekday()]}, {value:%d} {_MONTHS[value.month - 1]} {value:%Y %H:%M:%S %z}"


@lru_cache(maxsize=4096)
def _category(c: Category) -> str:
    """A category element: a site has few, listed again by thousands of items."""
    domain = f' domain="{_attr(c.scheme)}"' if c.scheme else ""
    return f"{_IN}<category{domain}>{_text(c.label)}</category>\n"


def _element(name: str, text: str) -> str:
    return f"{_IN}<{name}>{_text(text)}</{name}>\n"


def _plain(name: str, text: str) -> str:
    return f"{_IN}<{name}>{escape_plain_text(text)}</{name}>\n"


def rss_item(item: FeedItem, *, full: bool = True) -> bytes:
    """The RSS item of `item` as `serialize_entry(build_entry(item), "rss")` writes it."""
    out = ["<item>\n"]
    if item.title:
        out.append(_plain("title", item.title))
    if item.url:
        out.append(_element("link", item.url))
    described = item.summary or item.title
    body = xml_content(item) if full and item.content_html else None
    if described or body is not None:
        # The description is HTML by convention (see entries.py), escaped again as XML.
        out.append(_element("description", html.escape(described, quote=False)))
    if body is not None and described:
        out.append(f"{_IN}<content:encoded>")
        head = "".join(out).encode("utf-8")
        out = ["</content:encoded>\n"]
    else:
        body = None
    if item.uid:
        out.append(f'{_IN}<guid isPermaLink="false">{_text(item.uid)}</guid>\n')
    out += map(_category, item.categories)
    out.append(_element("pubDate", rfc822(item.published)))
    image = item.image
    if image is not None:
        kind = f' type="{_attr(image.mime_type)}"' if image.mime_type else ""
        out.append(f'{_IN}<media:content url="{_attr(image.url)}"{kind} medium="image"/>\n')
    for name in item.authors:
        out.append(_element("dc:creator", name))
    if item.own_language:
        out.append(_element("dc:language", item.own_language))
    if item.source is not None:
        out.append(_element("dc:source", item.source.url or item.source.name))
    out.append("    </item>\n")
    tail = "".join(out).encode("utf-8")
    return tail if body is None else b"".join((head, body, tail))
