"""Atom 1.0 (RFC 4287): text constructs of type text, html and xhtml; xml:base and
xml:lang honoured."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from syndicate.ingest.adapter import (
    IncomingEntry,
    IncomingImage,
    ParsedFeed,
    SourceAdapter,
    SourceError,
)
from syndicate.ingest.documents import dated, parse_xml, plain_text

from .xmlfeed import inner_xml, language_of, media_image, text_of

NS = "{http://www.w3.org/2005/Atom}"
XHTML_DIV = "{http://www.w3.org/1999/xhtml}div"
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?feed[\s>]")


class AtomAdapter(SourceAdapter):
    name = "atom"
    summary = "Atom 1.0"

    def sniff(self, head: bytes, content_type: str) -> bool:
        return (bool(_ROOT.search(head)) and b"http://www.w3.org/2005/Atom" in head) or (
            "atom+xml" in content_type
        )

    def parse(self, data: bytes, content_type: str, url: str) -> ParsedFeed:
        root, problems = parse_xml(data, content_type, url)
        if root.tag != f"{NS}feed":
            raise SourceError(f"not Atom: the root element is <{root.tag}>, not an Atom <feed>")
        return ParsedFeed(
            tuple(_entry(entry) for entry in root.findall(f"{NS}entry")),
            title=plain_text(_html(root.find(f"{NS}title"))) or None,
            language=language_of(root),
            base=root.base,
            problems=tuple(problems),
        )


def _html(element: Any | None) -> str:
    """A text construct as HTML, whatever its type."""
    if element is None:
        return ""
    kind = (element.get("type") or "text").lower()
    if kind == "xhtml":
        div = element.find(XHTML_DIV)
        return inner_xml(div if div is not None else element)
    value = text_of(element) or ""
    if kind in ("html", "text/html"):
        return value
    return escape(value)  # text: shown as is


def _alternate(entry: Any) -> str | None:
    for link in entry.findall(f"{NS}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link.get("href")).strip()
    return None


def _image(entry: Any) -> IncomingImage | None:
    for link in entry.findall(f"{NS}link"):
        kind = link.get("type") or ""
        if link.get("rel") == "enclosure" and kind.startswith("image/") and link.get("href"):
            return IncomingImage(link.get("href"), plain_text(link.get("title")) or None)
    return media_image(entry)


def _entry(entry: Any) -> IncomingEntry:
    problems: list[str] = []
    published = dated(text_of(entry.find(f"{NS}published")), "published", problems)
    updated = dated(text_of(entry.find(f"{NS}updated")), "updated", problems)
    content = entry.find(f"{NS}content")
    body = _html(content) if content is not None and not content.get("src") else ""
    summary_html = _html(entry.find(f"{NS}summary"))
    authors = tuple(
        name
        for name in (plain_text(text_of(a.find(f"{NS}name"))) for a in entry.findall(f"{NS}author"))
        if name
    )
    tags = tuple(
        (c.get("label") or c.get("term") or "").strip()
        for c in entry.findall(f"{NS}category")
        if (c.get("label") or c.get("term") or "").strip()
    )
    return IncomingEntry(
        id=text_of(entry.find(f"{NS}id")),
        title=_html(entry.find(f"{NS}title")),
        link=_alternate(entry),
        published=published or updated,
        updated=updated if published else None,
        summary=plain_text(summary_html) or None,
        body_html=body or summary_html,
        authors=authors,
        tags=tags,
        image=_image(entry),
        language=language_of(entry),
        base=entry.base,
        problems=tuple(problems),
    )
