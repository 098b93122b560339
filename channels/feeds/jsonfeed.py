"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written by hand: it is plain JSON.

Keys are written in a fixed order and without "now", so republishing an unchanged site
gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .items import FeedItem

VERSION = "https://jsonfeed.org/version/1.1"


def json_item(item: FeedItem, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.uid,
        "url": item.url,
        "title": item.title,
    }
    if full:
        data["content_html"] = item.content_html
    else:
        data["content_text"] = item.summary or item.title
    if item.summary:
        data["summary"] = item.summary
    if item.image is not None:
        data["image"] = item.image.url
    data["date_published"] = _date(item.published)
    data["date_modified"] = _date(item.modified)
    if item.authors:
        data["authors"] = [{"name": name} for name in item.authors]
    data["tags"] = list(dict.fromkeys([item.section_title, *item.tags]))
    data["language"] = item.language
    if item.source is not None:
        if item.source.url:
            data["external_url"] = item.source.url
        data["_source"] = {"name": item.source.name, "url": item.source.url}
    return data


def encode_item(item: FeedItem, *, full: bool = True) -> bytes:
    """One item as JSON, encoded once by the caller and spliced into every feed."""
    text = json.dumps(json_item(item, full=full), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def render_head(
    *,
    title: str,
    home_url: str,
    feed_url: str,
    description: str,
    language: str,
    author: str,
    hub: str | None,
) -> bytes:
    """The feed object with an empty item list; `assemble` fills it in."""
    head: dict[str, Any] = {
        "version": VERSION,
        "title": title,
        "home_page_url": home_url,
        "feed_url": feed_url,
        "description": description,
        "language": language,
        "authors": [{"name": author}],
    }
    if hub:
        head["hubs"] = [{"type": "WebSub", "url": hub}]
    head["items"] = []
    return (json.dumps(head, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def assemble(head: bytes, items: Sequence[bytes]) -> bytes:
    """`head` (ending in `"items":[]}`) with `items` in order, newest first."""
    at = head.rindex(b"]")
    return head[:at] + b",".join(items) + head[at:]


def items_size(items: Sequence[bytes]) -> int:
    return sum(len(i) for i in items) + max(0, len(items) - 1)


def _date(value: datetime) -> str:
    return value.isoformat()
