"""sitemap.xml, the Google News sitemap, and robots.txt naming both.

Everything is derived from the articles' own dates, never from "now": republishing the
same content gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syndicate.model import Article, SiteInfo

from .i18n import news_language

SITEMAP = "sitemap.xml"
NEWS_SITEMAP = "news-sitemap.xml"
MAX_URLS = 50_000  # per file, by the sitemaps.org protocol
NEWS_WINDOW = timedelta(days=2)  # Google News only reads the last two days
NEWS_MAX = 1_000  # Google News limit per sitemap


def escape(text: str) -> str:
    """&, < and > as XML text needs them (what xml.sax.saxutils.escape does, without
    importing urllib.request and http.client on every publish)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Entry:
    loc: str  # absolute URL
    lastmod: datetime | None


def _w3c(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _urlset(entries: Sequence[Entry]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for entry in entries:
        lastmod = f"<lastmod>{_w3c(entry.lastmod)}</lastmod>" if entry.lastmod else ""
        lines.append(f"<url><loc>{escape(entry.loc)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def sitemaps(info: SiteInfo, entries: Sequence[Entry]) -> Iterable[tuple[str, str]]:
    """sitemap.xml; past 50,000 URLs it becomes an index of sitemap-N.xml files."""
    if len(entries) <= MAX_URLS:
        yield SITEMAP, _urlset(entries)
        return
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for n, start in enumerate(range(0, len(entries), MAX_URLS), start=1):
        chunk = entries[start : start + MAX_URLS]
        name = f"sitemap-{n}.xml"
        yield name, _urlset(chunk)
        dates = [e.lastmod for e in chunk if e.lastmod]
        lastmod = f"<lastmod>{_w3c(max(dates))}</lastmod>" if dates else ""
        lines.append(f"<sitemap><loc>{escape(info.absolute(name))}</loc>{lastmod}</sitemap>")
    lines.append("</sitemapindex>")
    yield SITEMAP, "\n".join(lines) + "\n"


def news_sitemap(info: SiteInfo, articles: Sequence[Article]) -> str:
    """Articles published within two days of the newest one (newest first, at most 1,000)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
    ]
    if articles:
        newest = max(a.published for a in articles)
        recent = [a for a in articles if newest - a.published <= NEWS_WINDOW]
        recent.sort(key=lambda a: (a.published, a.slug), reverse=True)
        for article in recent[:NEWS_MAX]:
            language = news_language(article.language or info.language)
            lines.append(
                f"<url><loc>{escape(article.url)}</loc><news:news><news:publication>"
                f"<news:name>{escape(info.title)}</news:name>"
                f"<news:language>{escape(language)}</news:language></news:publication>"
                f"<news:publication_date>{_w3c(article.published)}</news:publication_date>"
                f"<news:title>{escape(article.title)}</news:title></news:news></url>"
            )
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(info: SiteInfo, sitemap_files: Iterable[str]) -> str:
    lines = ["User-agent: *", "Allow: /", ""]
    lines.extend(f"Sitemap: {info.absolute(name)}" for name in sitemap_files)
    return "\n".join(lines) + "\n"
