"""Where things live in the output: the one URL scheme every channel agrees on.

Channels never import each other, yet the HTML pages must link to the feeds and the
print snippets to the short links; so the paths are decided here, once.
All paths are relative to the output folder and use '/'.
"""

from __future__ import annotations

import re
from collections.abc import Container
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
INDEX = "index.html"
PAGES_DIR = "page"
TAGS_DIR = "tags"
ARCHIVE_DIR = "archive"
SHORT_LINKS_DIR = "s"

# What the channels write inside every section's folder (the site root is one too):
# a content folder by one of these names would be a second writer for the same path.
SECTION_NAMES = frozenset({INDEX, PAGES_DIR, *FEED_FILES.values()})
# What the channels write at the site root only (feeds, html, print).
SITE_NAMES = frozenset(
    {
        TAGS_DIR,
        ARCHIVE_DIR,
        SHORT_LINKS_DIR,
        "assets",
        "print",
        "404.html",
        "feed.xsl",
        "robots.txt",
        "sitemap.xml",
        "news-sitemap.xml",
    }
)
# The sitemaps sitemap.xml indexes: sitemap-2024-05.xml, sitemap-2024-05-2.xml,
# sitemap-lists.xml... (html's sitemaps module).
_SITEMAP_PART = re.compile(r"sitemap-[a-z0-9-]+\.xml")
# RFC 3986 "unreserved": a folder name made of these is the same in every URL, raw or
# percent-encoded, so sitemaps, feeds and pages all agree on it.
_URL_SAFE_NAME = re.compile(r"[A-Za-z0-9._~-]+")


def reserved(name: str, *, at_root: bool) -> bool:
    """Whether the channels write a file or folder called `name` at this level."""
    if name in SECTION_NAMES:
        return True
    return at_root and (name in SITE_NAMES or _SITEMAP_PART.fullmatch(name) is not None)


def check_section_path(path: str) -> None:
    """Raise ValueError when a section folder's own name (its parents are checked as
    sections of their own) cannot be a URL path as it is, or is a name the channels
    write themselves."""
    parent, _, name = path.rpartition("/")
    if not _URL_SAFE_NAME.fullmatch(name):
        raise ValueError(
            f"section folder name {name!r} may hold only ASCII letters, digits and "
            "'-', '_', '.', '~' (it is part of every URL in the section; a title in any "
            "script goes in its _index.md)"
        )
    if reserved(name, at_root=not parent):
        raise ValueError(
            f"section folder name {name!r} is taken by a file the channels write there: "
            "rename the folder"
        )


def check_article_path(path: str, sections: Container[str]) -> None:
    """Raise ValueError when an article's URL path (from the permalink) leaves the site,
    is a section's page, or is a path the channels write themselves."""
    names = path.rstrip("/").split("/")
    if any(name in ("", ".", "..") for name in names):
        raise ValueError(f"the permalink gives the path {path!r}, which is not a plain folder")
    if path.rstrip("/") in sections:
        raise ValueError(f"the permalink gives {path!r}, the page of the section of that name")
    for depth, name in enumerate(names):
        if reserved(name, at_root=depth == 0):
            raise ValueError(
                f"the permalink gives {path!r}, where the channels write their own {name!r}"
            )


def article_page(article: Article) -> str:
    """The article's HTML page, e.g. finance/markets/some-slug/index.html."""
    return f"{article.path}{INDEX}"


def _section_dir(section: Section | str) -> str:
    path = section.path if isinstance(section, Section) else section
    return f"{path}/" if path else ""


def section_page(section: Section | str, page: int = 1) -> str:
    """Section listing page; page 1 is the section's index, later pages under page/N/."""
    base = _section_dir(section)
    return f"{base}{INDEX}" if page == 1 else f"{base}{PAGES_DIR}/{page}/{INDEX}"


def tag_dir(tag: str) -> str:
    return f"{TAGS_DIR}/{tag_slug(tag)}/"


def tag_page(tag: str, page: int = 1) -> str:
    base = tag_dir(tag)
    return f"{base}{INDEX}" if page == 1 else f"{base}{PAGES_DIR}/{page}/{INDEX}"


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
    return f"{ARCHIVE_DIR}/{period}/{FEED_FILES['atom']}"


def short_link(code: str) -> str:
    """The redirect page behind a printed QR code's short URL (/s/<code>/)."""
    return f"{SHORT_LINKS_DIR}/{code}/{INDEX}"


def directory_url(path: str) -> str:
    """'finance/index.html' -> 'finance/': the URL a page is linked by."""
    return path.removesuffix("index.html")
