"""The edition sheet: one day's snippets on A4 pages, as HTML (proofing) and PDF (printing).

Both share one pagination, so the HTML an editor proofs has the pages the PDF prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from syndicate.errors import SyndicateError
from syndicate.model import Article, Site
from syndicate.templating import Templates

from .links import edition_date
from .snippets import Snippet


class EditionError(SyndicateError):
    """Nothing to lay out: no such section, or no article that day."""


@dataclass(frozen=True)
class Edition:
    site_title: str
    day: date
    section: str | None  # section path, None for the whole site
    section_title: str | None
    pages: tuple[tuple[Snippet, ...], ...]
    qr_size_mm: float
    per_page: int

    @property
    def count(self) -> int:
        return sum(len(page) for page in self.pages)

    @property
    def heading(self) -> str:
        where = f" · {self.section_title}" if self.section_title else ""
        return f"{self.site_title} · print edition {self.day.isoformat()}{where}"

    def folio(self, number: int, total: int) -> str:
        """The page line in a sheet's header ("page 2 of 3")."""
        return f"page {number} of {total}"


def edition_articles(site: Site, day: date, section: str | None) -> list[Article]:
    """The articles of one edition: published that day (site time zone), oldest first."""
    if section is not None and section not in site.sections:
        known = ", ".join(sorted(p for p in site.sections if p)) or "none"
        raise EditionError(f"no section {section!r} (sections: {known})")
    pool = site.in_section(section) if section else site.articles
    chosen = [a for a in pool if edition_date(a, site.info) == day]
    if not chosen:
        where = f" in section {section!r}" if section else ""
        raise EditionError(f"no articles published on {day.isoformat()}{where}")
    return sorted(chosen, key=lambda a: (a.published, a.slug))


def paginate(snippets: list[Snippet], per_page: int) -> tuple[tuple[Snippet, ...], ...]:
    return tuple(tuple(snippets[i : i + per_page]) for i in range(0, len(snippets), per_page))


def edition_html(templates: Templates, edition: Edition) -> str:
    return templates.render("print/edition.html", edition=edition)
