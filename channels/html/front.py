"""What the home page shows: a lead story, the latest news, then each section's top stories.

No article appears twice: each block takes the newest stories not already shown above
it, as a news site's front page does. The channel keys the page on this plan and the
renderer draws it, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from syndicate.model import Article, Site

LEAD_WINDOW = 10  # the lead is the newest story with an image among the newest few


@dataclass(frozen=True)
class FrontPage:
    lead: Article | None
    latest: tuple[Article, ...]
    sections: tuple[tuple[str, tuple[Article, ...]], ...]  # (top-level section path, stories)

    @property
    def shown(self) -> list[Article]:
        """Every story on the page, top to bottom."""
        found = [self.lead] if self.lead else []
        found += self.latest
        for _, stories in self.sections:
            found += stories
        return found


def front_page(site: Site, per_block: int, has_image: Callable[[Article], bool]) -> FrontPage:
    articles = site.articles
    lead = next((a for a in articles[:LEAD_WINDOW] if has_image(a)), None)
    if lead is None and articles:
        lead = articles[0]
    seen = {lead.slug} if lead else set()

    def fresh(pool: Iterable[Article]) -> tuple[Article, ...]:
        found = tuple(islice((a for a in pool if a.slug not in seen), per_block))
        seen.update(a.slug for a in found)
        return found

    latest = fresh(articles)
    root = site.sections.get("")
    blocks = tuple((path, fresh(site.in_section(path))) for path in (root.children if root else ()))
    return FrontPage(lead, latest, blocks)
