"""IPTC ninjs 2.x news items (one item or a list of them), reading 1.x names too."""

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
from syndicate.ingest.documents import dated, parse_json, plain_text

from .jsonitems import first_value, names, objects, string

_NINJS = re.compile(rb'"(?:uri|standard|headlines|versioncreated)"\s*:')
_WITHDRAWN = {"withdrawn", "canceled", "cancelled"}


class NinjsAdapter(SourceAdapter):
    name = "ninjs"
    summary = "IPTC ninjs 2.x (an item or a list)"

    def sniff(self, head: bytes, content_type: str) -> bool:
        return head.lstrip()[:1] in (b"{", b"[") and bool(_NINJS.search(head))

    def parse(self, data: bytes, content_type: str, url: str) -> ParsedFeed:
        document, problems = parse_json(data, content_type)
        items = document if isinstance(document, list) else [document]
        entries = []
        for number, item in enumerate(items, 1):
            if not isinstance(item, dict) or not string(item.get("uri")):
                if not isinstance(document, list):
                    raise SourceError("not a ninjs item: expected an object with a `uri`")
                problems.append(f"item {number} is not a ninjs item with a `uri`; skipped")
                continue
            status = (string(item.get("pubstatus")) or "usable").lower()
            if status in _WITHDRAWN:
                problems.append(f"item {item['uri']!r} is {status} at the source; not imported")
                continue
            entries.append(_entry(item))
        return ParsedFeed(tuple(entries), problems=tuple(problems))


def _text(items: Any, legacy: Any, roles: tuple[str, ...] = ("main", "")) -> str | None:
    found = first_value(items, roles)
    return string(found.get("value")) if found else string(legacy)


def _body(item: dict[str, Any]) -> str:
    found = first_value(item.get("bodies"))
    if found:
        value = string(found.get("value")) or ""
        kind = string(found.get("contenttype")) or "text/html"
        return value if "html" in kind else _paragraphs(value)
    html = string(item.get("body_html"))
    return html if html is not None else _paragraphs(string(item.get("body_text")) or "")


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _link(item: dict[str, Any]) -> str | None:
    for rendition in objects(item.get("renditions")):
        if "html" in (string(rendition.get("contenttype")) or ""):
            return string(rendition.get("href"))
    uri = string(item.get("uri")) or ""
    return uri if uri.startswith(("http://", "https://")) else None


def _image(item: dict[str, Any]) -> IncomingImage | None:
    for picture in objects(item.get("associations")):
        if string(picture.get("type")) != "picture":
            continue
        href = string(picture.get("uri"))
        for rendition in objects(picture.get("renditions")):
            if string(rendition.get("href")):
                href = string(rendition.get("href"))
                break
        if href and href.startswith(("http://", "https://", "/")):
            caption = _text(picture.get("headlines"), picture.get("headline"), ("caption", ""))
            caption = caption or string(picture.get("description_text"))
            return IncomingImage(href, plain_text(caption) or None)
    return None


def _tags(item: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    subjects = item.get("subjects")
    for subject in subjects if isinstance(subjects, list) else []:
        if isinstance(subject, dict) and string(subject.get("rel")) != "section":
            name = string(subject.get("name"))
            if name and name not in found:
                found.append(name)
    keywords = item.get("keywords")
    for keyword in keywords if isinstance(keywords, list) else []:
        name = string(keyword)
        if name and name not in found:
            found.append(name)
    return tuple(found)


def _entry(item: dict[str, Any]) -> IncomingEntry:
    problems: list[str] = []
    created = dated(string(item.get("firstcreated")), "firstcreated", problems)
    modified = dated(string(item.get("versioncreated")), "versioncreated", problems)
    by = item.get("by") if "by" in item else item.get("byline")
    authors = names(item.get("people")) if not string(by) else (string(by) or "",)
    return IncomingEntry(
        id=string(item.get("uri")),
        title=_text(item.get("headlines"), item.get("headline")) or "",
        link=_link(item),
        published=created or modified,
        updated=modified if created and modified and modified > created else None,
        summary=plain_text(
            _text(item.get("descriptions"), item.get("description_text"), ("summary", "main", ""))
        )
        or None,
        body_html=_body(item),
        authors=authors,
        tags=_tags(item),
        image=_image(item),
        language=string(item.get("language")),
        problems=tuple(problems),
    )
