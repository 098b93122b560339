"""Where things live in the output: the one URL scheme every channel agrees on.

Channels never import each other, yet the HTML pages must link to the feeds and the
print snippets to the short links; so the paths are decided here, once.
All paths are relative to the output folder and use '/'.
"""

from __future__ import annotations

from typing import Literal

from .model import Article, Section
from .slug import author_slug, tag_slug

FeedFormat = Literal["atom", "rss", "json"]
FEED_FILES: dict[FeedFormat, str] = {"atom": "atom.xml", "rss": "rss.xml", "json": "feed.json"}
FEED_TYPES: dict[FeedFormat, str] = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}


def article_page(article: Article) -> str:
    """The article's HTML page, e.g. finance/markets/some-slug/index.html."""
    return f"{article.path}index.html"


def _section_dir(section: Section | str) -> str:
    path = section.path if isinstance(section, Section) else section
    return f"{path}/" if path else ""


def section_page(section: Section | str, page: int = 1) -> str:
    """Section listing page; page 1 is the section's index, later pages under page/N/."""
    base = _section_dir(section)
    return f"{base}index.html" if page == 1 else f"{base}page/{page}/index.html"


def tag_dir(tag: str) -> str:
    return f"tags/{tag_slug(tag)}/"


def tag_page(tag: str, page: int = 1) -> str:
    base = tag_dir(tag)
    return f"{base}index.html" if page == 1 else f"{base}page/{page}/index.html"


TAGS_INDEX = "tags/index.html"  # every tag, with its count


def author_dir(name: str) -> str:
    return f"authors/{author_slug(name)}/"


def author_page(name: str, page: int = 1) -> str:
    base = author_dir(name)
    return f"{base}index.html" if page == 1 else f"{base}page/{page}/index.html"


def author_feed(name: str, fmt: FeedFormat) -> str:
    return author_dir(name) + FEED_FILES[fmt]


def site_feed(fmt: FeedFormat) -> str:
    return FEED_FILES[fmt]


def section_feed(section: Section | str, fmt: FeedFormat) -> str:
    return _section_dir(section) + FEED_FILES[fmt]


def tag_feed(tag: str, fmt: FeedFormat) -> str:
    return tag_dir(tag) + FEED_FILES[fmt]


def archive_feed(period: str) -> str:
    """An RFC 5005 archive page of the site feed (Atom), e.g. archive/2024-02/atom.xml."""
    return f"archive/{period}/atom.xml"


def short_link(code: str) -> str:
    """The redirect page behind a printed QR code's short URL (/s/<code>/)."""
    return f"s/{code}/index.html"


def directory_url(path: str) -> str:
    """'finance/index.html' -> 'finance/': the URL a page is linked by."""
    return path.removesuffix("index.html")
