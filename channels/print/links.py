"""What a printed code points at: the short link, the campaign URL, the edition date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from syndicate.model import Article, SiteInfo
from syndicate.urls import directory_url, short_link

from .settings import PrintSettings, UtmSettings


@dataclass(frozen=True, slots=True)
class PrintLinks:
    code: str
    short_url: str  # https://site/s/<code>/
    landing_url: str  # the article URL with campaign parameters: where readers end up
    encoded: str  # what the QR code holds (short_url or landing_url, per `use_short_url`)


def edition_date(article: Article, info: SiteInfo) -> date:
    """The print edition an article belongs to: its publication day in the site's zone."""
    published = article.published
    return (published.astimezone(info.timezone) if info.timezone else published).date()


def with_campaign(url: str, utm: UtmSettings, *, day: date, slug: str) -> str:
    """`url` plus utm_* parameters (kept after any query the URL already has)."""
    if not utm.enabled:
        return url
    values = {"date": day.isoformat(), "slug": slug}
    params = [
        ("utm_source", utm.source),
        ("utm_medium", utm.medium),
        ("utm_campaign", utm.campaign.format(**values)),
    ]
    if utm.content:
        params.append(("utm_content", utm.content.format(**values)))
    if "?" not in url and "#" not in url:  # the usual case, and the fast one
        return f"{url}?{_query(tuple(params))}"
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if not k.startswith("utm_")] + params
    return urlunsplit(parts._replace(query=urlencode(query)))


@lru_cache(maxsize=1024)
def _query(params: tuple[tuple[str, str], ...]) -> str:
    """Articles of one edition day share their campaign: urlencode once a day, not once
    an article."""
    return urlencode(params)


def print_links(article: Article, info: SiteInfo, code: str, settings: PrintSettings) -> PrintLinks:
    short_url = info.absolute(directory_url(short_link(code)))
    landing = with_campaign(
        article.url, settings.utm, day=edition_date(article, info), slug=article.slug
    )
    encoded = short_url if settings.use_short_url else landing
    return PrintLinks(code, short_url, landing, encoded)
