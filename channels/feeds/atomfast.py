"""Atom entries written directly, byte-identical to the feedgen path.

Every entry of every Atom document is written here: the archive holds every article of
the site (10,000 on a large one), and the subscription feeds list each of their
articles again. Building each entry as a feedgen FeedEntry and an lxml tree cost about
a millisecond per article, most of the channel's time. A test keeps this writer
byte-identical to `serialize_entry(build_entry(item), "atom")` (the feedgen reference
in `entries.py`), empty values included, so the two cannot drift apart.
"""

from __future__ import annotations

from functools import lru_cache

from .items import Category, FeedItem, xml_content
from .xmlsafe import escape_attr as _attr
from .xmlsafe import escape_plain_text
from .xmlsafe import escape_text as _text

_IN = "    "  # children of an entry (level 1 in the document)


@lru_cache(maxsize=4096)
def _category(c: Category) -> str:
    """A category element: a site has few, listed again by thousands of entries."""
    scheme = f' scheme="{_attr(c.scheme)}"' if c.scheme else ""
    label = f' label="{_attr(c.label)}"' if c.label else ""
    return f'{_IN}<category term="{_attr(c.term)}"{scheme}{label}/>\n'


def atom_entry(item: FeedItem, *, full: bool = True) -> bytes:
    """The Atom entry of `item` as `serialize_entry(build_entry(item), "atom")` writes it."""
    return b"".join(atom_entry_parts(item, full=full))


def atom_entry_parts(item: FeedItem, *, full: bool = True) -> tuple[bytes, ...]:
    """`atom_entry` in pieces (markup, body, markup): an entry written once need not be
    joined on its own before the page it goes in is joined."""
    lang = f' xml:lang="{_attr(item.own_language)}"' if item.own_language else ""
    out = [
        f"<entry{lang}>\n{_IN}<id>{_text(item.uid)}</id>\n{_IN}<title>{escape_plain_text(item.title)}</title>\n"
        f"{_IN}<updated>{item.modified.isoformat()}</updated>\n"
    ]
    for name in item.authors:
        out.append(f"{_IN}<author>\n{_IN}  <name>{_text(name)}</name>\n{_IN}</author>\n")
    body = xml_content(item) if full and item.content_html else None
    if body is not None:
        out.append(f'{_IN}<content type="html">')
        head = "".join(out).encode("utf-8")
        out = ["</content>\n"]
    out.append(f'{_IN}<link rel="alternate" type="text/html" href="{_attr(item.url)}"/>\n')
    image = item.image
    kind = f' type="{_attr(image.mime_type)}"' if image is not None and image.mime_type else ""
    if image is not None:
        out.append(f'{_IN}<link rel="enclosure"{kind} href="{_attr(image.url)}"/>\n')
    source = item.source
    if source is not None and source.url:
        title = f' title="{_attr(source.name)}"' if source.name else ""
        out.append(f'{_IN}<link rel="via" href="{_attr(source.url)}"{title}/>\n')
    summary = item.summary or item.title
    out.append(f"{_IN}<summary>{_text(summary)}</summary>\n" if summary else f"{_IN}<summary/>\n")
    out += map(_category, item.categories)
    out.append(f"{_IN}<published>{item.published.isoformat()}</published>\n")
    if image is not None:
        out.append(f'{_IN}<media:content url="{_attr(image.url)}"{kind} medium="image"/>\n')
    out.append("  </entry>\n")
    tail = "".join(out).encode("utf-8")
    return (tail,) if body is None else (head, body, tail)
