"""JSON Feed 1.1 (and 1.0's `author`)."""

from __future__ import annotations

import re
from typing import Any

from syndicate.ingest.adapter import (
    IncomingEntry,
    IncomingImage,
    ParsedFeed,
    SourceAdapter,
    SourceError,
)
from syndicate.ingest.documents import dated, parse_json, plain_text

from .jsonitems import names, string

_VERSION = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/')


class JsonFeedAdapter(SourceAdapter):
    name = "jsonfeed"
    summary = "JSON Feed 1.1"

    def sniff(self, head: bytes, content_type: str) -> bool:
        return bool(_VERSION.search(head)) or "feed+json" in content_type

    def parse(self, data: bytes, content_type: str, url: str) -> ParsedFeed:
        document, problems = parse_json(data, content_type)
        if not isinstance(document, dict) or not isinstance(document.get("items"), list):
            raise SourceError("not a JSON Feed: expected an object with an `items` list")
        entries = []
        for number, item in enumerate(document["items"], 1):
            if isinstance(item, dict):
                entries.append(_entry(item))
            else:
                problems.append(f"items[{number}] is not an object; skipped")
        return ParsedFeed(
            tuple(entries),
            title=plain_text(string(document.get("title"))) or None,
            language=string(document.get("language")),
            problems=tuple(problems),
        )


def _entry(item: dict[str, Any]) -> IncomingEntry:
    problems: list[str] = []
    published = dated(string(item.get("date_published")), "date_published", problems)
    updated = dated(string(item.get("date_modified")), "date_modified", problems)
    body = string(item.get("content_html"))
    if body is None:
        text = string(item.get("content_text")) or ""
        body = "".join(f"<p>{_escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    authors = item.get("authors")
    if not isinstance(authors, list):
        authors = [item["author"]] if isinstance(item.get("author"), dict) else []
    image = string(item.get("image")) or string(item.get("banner_image"))
    tags = item.get("tags")
    return IncomingEntry(
        id=string(item.get("id")),
        title=string(item.get("title")) or "",
        link=string(item.get("url")) or string(item.get("external_url")),
        published=published or updated,
        updated=updated if published else None,
        summary=plain_text(string(item.get("summary"))) or None,
        body_html=body,
        authors=names(authors),
        tags=tuple(t for t in (string(x) for x in tags) if t) if isinstance(tags, list) else (),
        image=IncomingImage(image) if image else None,
        language=string(item.get("language")),
        problems=tuple(problems),
    )


def _escape(text: str) -> str:
    from html import escape

    return escape(text.strip()).replace("\n", "<br>")
