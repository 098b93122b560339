"""feedgen entries built once per article, with feedgen 1.0.0's traps worked around.

- An Atom entry's links lose rel/type/length (upstream issue #135: the loop variable is
  shadowed), so enclosures would become plain alternate links: `atom_entry` rewrites
  the link elements from our own data.
- `FeedEntry.link(rel="enclosure")` also sets an RSS enclosure with length "0", which
  the W3C validator rejects (length must be a positive byte count, and the model does
  not know image sizes). So the lead image is an Atom `link rel="enclosure"` (length is
  optional there) plus Media RSS `media:content` in both formats, never an RSS
  `<enclosure>`.
- `updated` defaults to "now" in feedgen; every entry sets it from the article.

This feedgen path is the reference: every feed's entries are written by `atomfast` and
`rssfast`, which tests keep byte-identical to `serialize_entry(build_entry(item), fmt)`.
`EntryCache` serialises each article once per format for the whole publish; the ~300
feeds and ~120 archive pages of a large site then splice those bytes in (see
`xmlfeeds`), and an archive page reuses the Atom entries the subscription feeds wrote.
"""

from __future__ import annotations

import html
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension
from feedgen.ext.media import MediaEntryExtension

from . import atomfast, rssfast
from .items import FeedItem
from .xmlfeeds import XmlFormat

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_LINK_ATTRIBUTES = ("rel", "type", "href", "hreflang", "title", "length")


class RepairedEntry(FeedEntry):  # type: ignore[misc]
    """A FeedEntry with its Atom links repaired and an HTML-escaped RSS description."""

    def __init__(
        self, atom_links: list[dict[str, str]], rss_description: str, own_language: str | None
    ) -> None:
        super().__init__()
        self.own_language = own_language
        self._atom_links = atom_links
        self._rss_description = rss_description

    def atom_entry(self, extensions: bool = True) -> Any:
        element = super().atom_entry(extensions)
        if self.own_language:
            element.set(XML_LANG, self.own_language)
        old = element.findall("link")
        index = element.index(old[0]) if old else len(element)
        for link in old:
            element.remove(link)
        for offset, data in enumerate(self._atom_links):
            link = element.makeelement("link", {})
            for name in ATOM_LINK_ATTRIBUTES:
                if data.get(name):
                    link.set(name, data[name])
            element.insert(index + offset, link)
        return element

    def rss_entry(self, extensions: bool = True) -> Any:
        element = super().rss_entry(extensions)
        description = element.find("description")
        if description is not None:
            description.text = self._rss_description
        return element


def build_entry(item: FeedItem, *, full: bool = True) -> RepairedEntry:
    """The entry of one item; `full=False` leaves the body out (for oversized articles)."""
    links = [{"rel": "alternate", "type": "text/html", "href": item.url}]
    if item.image is not None:
        links.append(
            {"rel": "enclosure", "type": item.image.mime_type or "", "href": item.image.url}
        )
    if item.source is not None and item.source.url:
        links.append({"rel": "via", "href": item.source.url, "title": item.source.name})
    # RSS description is HTML by convention: escape so "<" and "&" show as typed.
    description = html.escape(item.summary or item.title, quote=False)
    entry = RepairedEntry(links, description, item.own_language)
    entry.register_extension("media", MediaEntryExtension, atom=True, rss=True)
    entry.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    entry.id(item.uid)  # also the RSS guid, isPermaLink="false"
    entry.title(item.title)
    entry.link(href=item.url)  # the RSS item link; Atom links come from `links` above
    entry.published(item.published)
    entry.updated(item.modified)
    if item.authors:
        entry.author([{"name": name} for name in item.authors])
        entry.dc.dc_creator(list(item.authors))  # RSS <author> must be an e-mail address
    if item.own_language:
        entry.dc.dc_language(item.own_language)
    entry.summary(item.summary or item.title)  # Atom summary; RSS description (see above)
    if full and item.content_html:
        entry.content(item.content_html, type="html")
    entry.category(
        [{"term": c.term, "label": c.label, "scheme": c.scheme} for c in item.categories]
    )
    if item.source is not None:
        entry.dc.dc_source(item.source.url or item.source.name)
    if item.image is not None:
        media: dict[str, Any] = {"url": item.image.url, "medium": "image", "group": None}
        if item.image.mime_type:
            media["type"] = item.image.mime_type
        entry.media.content(media, group=None)
    return entry


class EntryCache:
    """Each article's entry, serialised once per format, for the whole publish.

    By slug, but handed out only for the very item it was written from: after an edit,
    a kept plan's feeds ask again with the edited article's new item (see `ItemCache`).
    """

    def __init__(self) -> None:
        self._bytes: dict[tuple[str, bool, str], tuple[FeedItem, bytes]] = {}

    def xml(self, item: FeedItem, fmt: XmlFormat, *, full: bool = True) -> bytes:
        key = (item.slug, full, fmt)
        found = self._bytes.get(key)
        if found is not None and found[0] is item:
            return found[1]
        write = atomfast.atom_entry if fmt == "atom" else rssfast.rss_item
        data = write(item, full=full)
        self._bytes[key] = (item, data)
        return data
