"""One feed item per article, computed once and shared by every feed that lists it.

A 10,000-article site has about 300 feeds; an article appears in the site feed, its
section's feeds and each tag's feed, in three formats. Everything that depends only on
the article (absolute body HTML, categories, lead image) is worked out here once.

Ids: an item's id (Atom `id`, RSS `guid isPermaLink="false"`, JSON Feed `id`) is the
article's permanent `uid`, a tag: URI (RFC 4151) built by the core from the site's
`id_authority` and `id_date` and the slug, e.g.
`tag:news.example.com,2024-01-01:article/sora-film-industry`, or the front matter `id:`
when an article keeps an id from an older system. Editing the title, text, section or
dates never changes it, so readers never show an edited story twice.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from posixpath import splitext
from typing import Any, cast
from urllib.parse import urlsplit

from syndicate.channel import Listed
from syndicate.clock import moment
from syndicate.model import Site, SiteInfo

from .absolute import absolute_url, absolutize_html
from .xmlsafe import escape_utf8_text, is_xml_safe, utf8_is_xml_safe, xml_text

# A fixed table rather than `mimetypes`, whose answers depend on the machine's files.
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class Category:
    term: str  # section path or tag name
    label: str  # what readers show
    scheme: str  # URL of the taxonomy: the site (sections) or its tags folder


@dataclass(frozen=True, slots=True)
class LeadImage:
    url: str
    mime_type: str | None
    alt: str
    caption: str | None
    credit: str | None


@dataclass(frozen=True, slots=True)
class SourceRef:
    name: str
    url: str | None


@dataclass(frozen=True, slots=True)
class FeedItem:
    uid: str
    slug: str
    title: str
    url: str
    published: datetime
    modified: datetime
    authors: tuple[str, ...]
    summary: str
    content_html: str
    categories: tuple[Category, ...]
    tags: tuple[str, ...]
    section_title: str
    image: LeadImage | None
    source: SourceRef | None
    language: str
    # The article's language when it is not the site's (every feed's): Atom xml:lang,
    # RSS dc:language, so a zh-Hans story in an English feed is not read as English.
    own_language: str | None = None
    # `content_html` escaped as XML text, in UTF-8: what Atom `content` and RSS
    # `content:encoded` hold. Worked out with the item (see `xml_content`).
    content_xml: bytes | None = field(default=None, compare=False, repr=False)


def xml_content(item: FeedItem) -> bytes:
    """The item's body as escaped XML text (UTF-8), computed once per item."""
    if item.content_xml is not None:
        return item.content_xml
    return escape_utf8_text(item.content_html.encode("utf-8"))


def feed_date(value: datetime) -> datetime:
    """Whole seconds: RFC 822 has none finer, and RFC 3339 output stays short and stable."""
    return value.replace(microsecond=0) if value.microsecond else value


def image_type(url: str) -> str | None:
    return IMAGE_TYPES.get(splitext(urlsplit(url).path)[1].lower())


def make_item(article: Listed, site: Site) -> FeedItem:
    """The format-independent item for `article`: a pure function of its inputs."""
    info = site.info
    image = None
    if article.image is not None:
        src = absolute_url(article.image.src, article.url, info)
        img = article.image
        image = LeadImage(src, image_type(src), img.alt, img.caption, img.credit)
    source = None
    if article.source is not None:
        url = absolute_url(article.source.url, article.url, info) if article.source.url else None
        source = SourceRef(article.source.name, url)
    section = site.sections.get(article.section)
    section_title = section.title if section else article.section
    tags_scheme = info.absolute("tags/")
    categories = (
        Category(article.section or "/", section_title, info.base_url),
        *(Category(tag, tag, tags_scheme) for tag in article.tags),
    )
    content = _content(article, info, image, source)
    try:
        data: bytes | None = content.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: `_scrub` takes it out
        data = None
    item = FeedItem(
        uid=article.uid or info.article_uid(article.slug),
        slug=article.slug,
        title=article.title,
        url=article.url,
        published=feed_date(article.published),
        modified=feed_date(article.modified),
        authors=tuple(a for a in article.authors if a.strip()),
        summary=article.summary,
        content_html=content,
        categories=categories,
        tags=article.tags,
        section_title=section_title,
        image=image,
        source=source,
        language=article.language,
        own_language=None
        if article.language.lower() == info.language.lower()
        else article.language,
        content_xml=None if data is None else escape_utf8_text(data),
    )
    if data is not None and utf8_is_xml_safe(data) and _clean(_strings(item)):
        return item
    scrubbed = cast(FeedItem, _scrub(item))
    return replace(scrubbed, content_xml=escape_utf8_text(scrubbed.content_html.encode("utf-8")))


def _clean(texts: list[str]) -> bool:
    """Whether `xml_text` would leave every one of `texts` as it is (one scan)."""
    return is_xml_safe("\n".join(texts))


def _strings(item: FeedItem) -> list[str]:
    """Every text of the item but its body (checked on its own, as bytes)."""
    texts = [item.uid, item.title, item.url, item.summary, item.section_title]
    texts += item.authors
    texts += item.tags
    for c in item.categories:
        texts += (c.term, c.label, c.scheme)
    if item.image is not None:
        texts += (item.image.url, item.image.alt, item.image.caption or "", item.image.credit or "")
    if item.source is not None:
        texts += (item.source.name, item.source.url or "")
    return texts


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, tuple):
        return tuple(_scrub(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _scrub(getattr(value, f.name)) for f in fields(value)})
    return value


def _content(
    article: Listed, info: SiteInfo, image: LeadImage | None, source: SourceRef | None
) -> str:
    """Full body with absolute URLs, the lead image first and the attribution last (as Ghost)."""
    parts = []
    if image is not None:
        figure = f'<figure><img src="{html.escape(image.url)}" alt="{html.escape(image.alt)}">'
        caption = " — ".join(x for x in (image.caption, image.credit) if x)
        if caption:
            figure += f"<figcaption>{html.escape(caption)}</figcaption>"
        parts.append(figure + "</figure>")
    parts.append(absolutize_html(article.body_html, article.url, info))
    if article.corrections:  # readers of the feed learn of a correction as page readers do
        notes = "".join(
            f"<li>{moment(c.date, info.timezone).date().isoformat()}: {html.escape(c.text)}</li>"
            for c in article.corrections
        )
        parts.append(f'<aside class="corrections"><p>Corrections:</p><ul>{notes}</ul></aside>')
    if source is not None:
        name = html.escape(source.name)
        if source.url:
            name = f'<a href="{html.escape(source.url)}">{name}</a>'
        parts.append(f'<p class="source">Source: {name}</p>')
    return "\n".join(parts)


class ItemCache:
    """Items by slug: each article is converted once, whatever the feed count.

    Kept with its plan by a resident publisher, which hands the feeds an edited
    article's new version under the same slug: an item is handed out only for an
    article with the same fingerprint (of what the feeds declared) as the one it was
    made from; its site facts and sections are the plan's, which such an edit leaves
    as they were.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self._items: dict[str, tuple[str, FeedItem]] = {}

    def get(self, article: Listed) -> FeedItem:
        found = self._items.get(article.slug)
        fingerprint = article.fingerprint
        if found is not None and found[0] == fingerprint:
            return found[1]
        item = make_item(article, self.site)
        self._items[article.slug] = (fingerprint, item)  # an older version's is dropped
        return item
