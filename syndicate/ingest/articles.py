"""An incoming entry -> the text of an article file in the content contract.

Everything from the source is untrusted: text fields lose tags and characters XML
forbids, URLs are made absolute and must be http(s), the body goes through the reader's
own sanitiser and is written so CommonMark passes it through as one HTML block.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape, unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from ..markdown import sanitize_html
from ..model import SiteInfo
from ..xmlchars import XML_FORBIDDEN
from .adapter import IncomingEntry, ParsedFeed
from .documents import plain_text
from .settings import SourceSettings

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_URL_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# CommonMark HTML blocks of type 6: starting with one, a block runs to the first blank line.
_BLOCK_START = re.compile(
    r"^<(?:p|div|h[1-6]|ul|ol|dl|blockquote|figure|table|hr|section|article|aside|header|"
    r"footer|nav|details|pre)(?:[\s/>]|$)",
    re.I,
)


class EntrySkipped(Exception):
    """This entry cannot become an article (no title, no id and no link)."""


@dataclass(frozen=True, slots=True)
class Story:
    """An entry checked and made absolute: everything the article file will say."""

    entry_id: str
    title: str
    link: str | None
    published: datetime | None
    updated: datetime | None
    summary: str | None
    body_html: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    image: tuple[str, str | None] | None  # (absolute src, caption)
    language: str | None
    problems: tuple[str, ...]


def clean_text(value: str | None) -> str:
    return XML_FORBIDDEN.sub("", plain_text(value)) if value else ""


def absolute_http(url: str | None, base: str) -> str | None:
    """`url` resolved against `base`, if that gives an http(s) URL with a host."""
    if not url or not url.strip():
        return None
    resolved = urljoin(base, url.strip())
    parts = urlsplit(resolved)
    return resolved if parts.scheme in ("http", "https") and parts.hostname else None


def story(entry: IncomingEntry, feed: ParsedFeed, url: str, label: str) -> Story:
    """Check and normalise one entry; EntrySkipped when it cannot be imported."""
    problems = [f"{label}: {p}" for p in entry.problems]
    base = entry.base or feed.base or url
    link = absolute_http(entry.link, base)
    if entry.link and link is None:
        problems.append(f"{label}: link {entry.link[:80]!r} is not an http(s) URL; ignored")
    entry_id = XML_FORBIDDEN.sub("", entry.id or "").strip() or link
    if not entry_id:
        raise EntrySkipped(f"{label}: no id and no link; skipped")
    title = clean_text(entry.title)
    if not title:
        raise EntrySkipped(f"{label} ({entry_id[:80]}): no title; skipped")
    updated = entry.updated
    if updated is not None and entry.published is not None and updated <= entry.published:
        updated = None
    image = None
    if entry.image is not None:
        src = absolute_http(entry.image.src, base)
        if src is None:
            problems.append(f"{label}: image {entry.image.src[:80]!r} is not an http(s) URL")
        else:
            image = (src, clean_text(entry.image.caption) or None)
    language = _language(entry.language or feed.language, label, problems)
    return Story(
        entry_id=entry_id,
        title=title,
        link=link,
        published=entry.published,
        updated=updated,
        summary=clean_text(entry.summary) or None,
        body_html=_body(entry.body_html, base),
        authors=tuple(dict.fromkeys(a for a in map(clean_text, entry.authors) if a)),
        tags=tuple(t for t in map(clean_text, entry.tags) if t),
        image=image,
        language=language,
        problems=tuple(problems),
    )


def _language(value: str | None, label: str, problems: list[str]) -> str | None:
    if not value:
        return None
    tag = value.strip().replace("_", "-")
    if _LANGUAGE.match(tag):
        return tag
    problems.append(f"{label}: language {value[:40]!r} is not a BCP 47 tag; ignored")
    return None


def _body(html: str, base: str) -> str:
    """Sanitised (the reader's rules), links made absolute (in-page anchors kept)."""
    cleaned = sanitize_html(XML_FORBIDDEN.sub("", html or "")).strip()

    def absolute(match: re.Match[str]) -> str:
        value = unescape(match.group(2))
        if not value or value.startswith("#"):
            return match.group(0)
        return match.group(1) + escape(urljoin(base, value), quote=True) + match.group(3)

    return _URL_ATTRIBUTE.sub(absolute, cleaned)


def permanent_id(info: SiteInfo, source: str, entry_id: str) -> str:
    """The article's own permanent id, derived from the source's entry id.

    An id that is already a global URI (tag:, urn:, http:) names the story wherever it
    appears, so two feeds carrying it import it once; a bare id ("12345") is only
    unique within its source, so the source's name is part of the digest.
    """
    scheme = urlsplit(entry_id).scheme
    key = entry_id if scheme and len(scheme) > 1 else f"{source}\n{entry_id}"
    token = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"tag:{info.id_authority},{info.id_date}:ingest/{token}"


def body_markdown(html: str) -> str:
    """The HTML as a Markdown body CommonMark passes through untouched: one HTML block.

    A block starting with a block-level tag runs to the first blank line, so blank lines
    become a newline character reference (the same text, even inside <pre>)."""
    html = html.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not html:
        return ""
    html = _BLANK_LINE.sub("\n&#10;", html)
    if not _BLOCK_START.match(html):
        html = f"<div>\n{html}\n</div>"
    return html + "\n"


class _Dumper(yaml.SafeDumper):
    """Dates as ISO 8601 with a 'T' (what CONTENT.md shows), still plain YAML timestamps."""


def _datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(datetime, _datetime)


def article_text(story: Story, source: SourceSettings, uid: str, published: datetime) -> bytes:
    """The whole article file: front matter as CONTENT.md defines it, then the body."""
    matter: dict[str, Any] = {"title": story.title, "published": published}
    if story.updated is not None and story.updated > published:
        matter["updated"] = story.updated
    if story.summary:
        matter["summary"] = story.summary
    if story.authors:
        matter["authors"] = list(story.authors)
    matter["source"] = {"name": source.name, **({"url": story.link} if story.link else {})}
    tags = {t.casefold(): t for t in (*source.tags, *story.tags)}
    if tags:
        matter["tags"] = list(tags.values())
    if story.image is not None:
        src, caption = story.image
        matter["image"] = {"src": src, **({"caption": caption} if caption else {})}
    if story.language:
        matter["language"] = story.language
    matter["id"] = uid
    if source.canonical == "source" and story.link:
        matter["canonical"] = story.link
    if source.publish == "review":
        matter["draft"] = True
    front = yaml.dump(matter, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    body = body_markdown(story.body_html)
    if not body and story.summary:
        body = f"<p>{escape(story.summary)}</p>\n"
    return f"---\n{front}---\n{body}".encode()
