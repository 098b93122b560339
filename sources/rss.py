"""RSS 2.0 (and the 0.9x dialects it grew from), with content:encoded, Dublin Core and
Media RSS."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from syndicate.ingest.adapter import (
    IncomingEntry,
    IncomingImage,
    ParsedFeed,
    SourceAdapter,
    SourceError,
)
from syndicate.ingest.documents import dated, parse_xml, plain_text

from .xmlfeed import XML_BASE, XML_LANG, child_text, language_of, media_image, text_of

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}"
_ROOT = re.compile(rb"<rss[\s>]")
_EMAIL_NAME = re.compile(r"^\s*[^\s@()]+@[^\s()]+\s*\((.+)\)\s*$")  # "a@b.c (Name)"


class RssAdapter(SourceAdapter):
    name = "rss"
    summary = "RSS 2.0"

    def sniff(self, head: bytes, content_type: str) -> bool:
        return bool(_ROOT.search(head)) or "rss+xml" in content_type

    def parse(self, data: bytes, content_type: str, url: str) -> ParsedFeed:
        root, problems = parse_xml(data, content_type, url)
        if root.tag != "rss":
            raise SourceError(f"not RSS: the root element is <{root.tag}>, not <rss>")
        channel = root.find("channel")
        if channel is None:
            raise SourceError("RSS without a <channel> element")
        language = child_text(channel, "language") or language_of(root)
        entries = tuple(_entry(item) for item in channel.iter("item"))
        return ParsedFeed(
            entries,
            title=plain_text(child_text(channel, "title")) or None,
            language=language,
            base=_base(channel, url),
            problems=tuple(problems),
        )


def _entry(item: Any) -> IncomingEntry:
    problems: list[str] = []
    published = dated(child_text(item, "pubDate"), "pubDate", problems)
    if published is None:
        published = dated(child_text(item, f"{DC}date"), "dc:date", problems)
    link = child_text(item, "link")
    guid = item.find("guid")
    guid_text = child_text(item, "guid")
    if not link and guid is not None and guid.get("isPermaLink", "true").lower() == "true":
        link = guid_text
    body = child_text(item, CONTENT) or child_text(item, "description") or ""
    summary = child_text(item, "description") if item.find(CONTENT) is not None else None
    return IncomingEntry(
        id=guid_text,
        title=child_text(item, "title") or "",
        link=link,
        published=published,
        summary=plain_text(summary) or None,
        body_html=body,
        authors=_authors(item),
        tags=tuple(t for t in (text_of(c) for c in item.findall("category")) if t),
        image=_image(item),
        language=item.get(XML_LANG),
        base=item.base if _has_xml_base(item) else None,
        problems=tuple(problems),
    )


def _has_xml_base(element: Any) -> bool:
    return any(node.get(XML_BASE) for node in (element, *element.iterancestors()))


def _base(channel: Any, url: str) -> str:
    """What relative links are relative to: xml:base if the feed sets one, else the
    site's address (the channel's <link>, as feed readers assume), else the feed's URL."""
    if _has_xml_base(channel):
        return str(channel.base)
    link = urljoin(url, child_text(channel, "link") or "")
    return link if urlsplit(link).scheme in ("http", "https") else url


def _authors(item: Any) -> tuple[str, ...]:
    found = []
    for element in [*item.findall("author"), *item.findall(f"{DC}creator")]:
        name = (element.text or "").strip()
        match = _EMAIL_NAME.match(name) if len(name) < 500 else None
        if match:
            name = match.group(1).strip()
        if name and name not in found:
            found.append(plain_text(name))
    return tuple(found)


def _image(item: Any) -> IncomingImage | None:
    for enclosure in item.findall("enclosure"):
        if (enclosure.get("type") or "").startswith("image/") and enclosure.get("url"):
            return IncomingImage(enclosure.get("url"))
    return media_image(item)
