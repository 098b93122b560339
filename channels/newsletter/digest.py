"""A list's digest: which articles go in it, and the plain text a Jinja2 template makes of them.

The template (`newsletter/digest.txt`, overridable in the site's `templates/`) decides the
layout; the result is then re-wrapped by display width so no line overflows 72 columns,
whatever the newsroom's template or the headlines' script.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from syndicate.catalogues import translations
from syndicate.model import Article, Site, SiteInfo
from syndicate.templating import Templates

from .settings import ListSettings
from .wrap import display_width, wrap_line, wrap_text

LOCALE_DIR = Path(__file__).parent / "locale"  # labels' translations (English is the msgid)
DIGEST_TEMPLATE = "newsletter/digest.txt"
FOOTER_TEMPLATE = "newsletter/footer.txt"


@dataclass(frozen=True, slots=True)
class Link:
    number: int
    url: str


@dataclass(frozen=True, slots=True)
class DigestItem:
    title: str
    date: str
    authors: tuple[str, ...]
    source: str
    summary: str
    url: str
    ref: int  # [n] of the article's URL
    source_ref: int | None  # [n] of the original story's URL, if any


@dataclass(frozen=True, slots=True)
class DigestSection:
    title: str
    path: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    subject: str
    text: str
    newest: datetime
    articles: tuple[Article, ...]


def matches(article: Article, lst: ListSettings) -> bool:
    """A list with neither sections nor tags takes every article."""
    if not lst.sections and not lst.tags:
        return True
    for path in lst.sections:
        if not path or article.section == path or article.section.startswith(path + "/"):
            return True
    return any(tag in article.tags for tag in lst.tags)


def select_articles(site: Site, lst: ListSettings, since: datetime | None) -> tuple[Article, ...]:
    """The newest `max_articles` matching articles published after `since` (newest first)."""
    chosen: list[Article] = []
    for article in site.articles:  # newest first, so we can stop at the cutoff
        if since is not None and article.published <= since:
            break
        if matches(article, lst):
            chosen.append(article)
            if len(chosen) == lst.max_articles:
                break
    return tuple(chosen)


@lru_cache(maxsize=32)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_day(site: Site, when: datetime | date) -> str:
    """'20 Feb 2024' / '2024年2月20日' in the site's language and time zone."""
    if isinstance(when, datetime) and site.info.timezone is not None:
        when = when.astimezone(site.info.timezone)
    day = when.date() if isinstance(when, datetime) else when
    return format_date(day, format="medium", locale=_locale(site.info.language))


def _section_key(article: Article, lst: ListSettings) -> str:
    for path in lst.sections:
        if path and (article.section == path or article.section.startswith(path + "/")):
            return path
    return article.section


def _section_title(site: Site, path: str) -> str:
    section = site.sections.get(path)
    if section is None:
        return path or site.info.title
    titles = [crumb.title for crumb in section.breadcrumb if crumb.section]
    return " / ".join(titles) or section.title


def _one_line(text: str) -> str:
    return " ".join(text.split())


def group(site: Site, lst: ListSettings, articles: Sequence[Article]) -> list[DigestSection]:
    """Sections in the list's configured order (else by their newest article), with refs."""
    buckets: dict[str, list[Article]] = {}
    for article in articles:
        buckets.setdefault(_section_key(article, lst), []).append(article)
    order = [p for p in lst.sections if p in buckets]
    order += [p for p in buckets if p not in order]
    sections, number = [], 0
    for path in order:
        items = []
        for article in buckets[path]:
            number += 1
            ref = number
            source_ref = None
            if article.source and article.source.url:
                number += 1
                source_ref = number
            items.append(
                DigestItem(
                    title=_one_line(article.title),
                    date=format_day(site, article.published),
                    authors=article.authors,
                    source=_one_line(article.source.name) if article.source else "",
                    summary=_one_line(article.summary),
                    url=article.url,
                    ref=ref,
                    source_ref=source_ref,
                )
            )
        sections.append(DigestSection(_section_title(site, path), path, tuple(items)))
    return sections


def links(sections: Sequence[DigestSection], articles: Sequence[Article]) -> list[Link]:
    by_url = {a.url: a for a in articles}
    found: list[Link] = []
    for section in sections:
        for item in section.items:
            found.append(Link(item.ref, item.url))
            source = by_url[item.url].source
            if item.source_ref is not None and source is not None and source.url:
                found.append(Link(item.source_ref, source.url))
    return found


def install_filters(templates: Templates, width: int) -> None:
    """`display_width` (for underlines) and `wrap_display` (for hand-wrapped blocks)."""

    def wrap_display(text: str, indent: str = "", hanging: str | None = None) -> str:
        return "\n".join(wrap_line(text, width, indent, hanging))

    templates.add_filters(display_width=display_width, wrap_display=wrap_display)


def tidy(text: str, width: int) -> str:
    """Wrap, drop trailing blanks (keeping the '-- ' signature separator), squeeze gaps."""
    lines = [
        line if line == "-- " else line.rstrip() for line in wrap_text(text, width).split("\n")
    ]
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return joined.strip("\n") + "\n"


def render_digest(
    templates: Templates,
    site: Site,
    lst: ListSettings,
    articles: Sequence[Article],
    *,
    number: int,
    today: date,
    width: int = 72,
) -> Digest:
    """The issue's subject and body text (without the per-subscriber footer)."""
    if not articles:
        raise ValueError("a digest needs at least one article")
    install_filters(templates, width)
    sections = group(site, lst, articles)
    day = format_day(site, today)
    text = templates.render(
        DIGEST_TEMPLATE,
        site=site.info,
        list=lst,
        number=number,
        date=day,
        sections=sections,
        links=links(sections, articles),
        count=len(articles),
        width=width,
        _=translations(LOCALE_DIR, site.info.language).gettext,
    )
    subject = lst.subject.format(
        title=lst.title,
        number=number,
        headline=_one_line(articles[0].title),
        date=day,
        count=len(articles),
    )
    return Digest(
        subject=_one_line(subject),
        text=tidy(text, width),
        newest=max(a.published for a in articles),
        articles=tuple(articles),
    )


def render_footer(
    templates: Templates,
    info: SiteInfo,
    lst: ListSettings,
    *,
    email: str,
    unsubscribe_url: str | None,
    unsubscribe_mailto: str | None,
    width: int = 72,
) -> str:
    """The per-subscriber end of the message: why they get it and how to stop."""
    install_filters(templates, width)
    text = templates.render(
        FOOTER_TEMPLATE,
        site=info,
        list=lst,
        email=email,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=unsubscribe_mailto,
        width=width,
        _=translations(LOCALE_DIR, info.language).gettext,
    )
    return tidy(text, width)
