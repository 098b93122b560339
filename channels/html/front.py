"""What the home page shows: a lead story, the latest news, then each section's top stories.

No article appears twice: each block takes the newest stories not already shown above
it, as a news site's front page does. The channel declares the stories of this plan (in
order) and its layout; the renderer draws the same plan laid out again with the views of
those stories it is handed, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Generic, TypeVar

from syndicate.model import Article, Site

LEAD_WINDOW = 10  # the lead is the newest story with an image among the newest few


T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class FrontPage(Generic[T]):
    lead: T | None
    latest: tuple[T, ...]
    sections: tuple[tuple[str, tuple[T, ...]], ...]  # (top-level section path, stories)

    @property
    def shown(self) -> list[T]:
        """Every story on the page, top to bottom."""
        found = [self.lead] if self.lead else []
        found += self.latest
        for _, stories in self.sections:
            found += stories
        return found

    @property
    def layout(self) -> tuple[object, ...]:
        """Where the stories of `shown` go, as plain values: with them, the whole plan."""
        blocks = tuple((path, len(stories)) for path, stories in self.sections)
        return (self.lead is not None, len(self.latest), blocks)

    def relaid(self, stories: Sequence[U]) -> FrontPage[U]:
        """The same plan with `stories` (one for each of `shown`, in order) in its places."""
        found = iter(stories)
        lead = next(found) if self.lead is not None else None
        latest = tuple(islice(found, len(self.latest)))
        blocks = tuple((path, tuple(islice(found, len(s)))) for path, s in self.sections)
        return FrontPage(lead, latest, blocks)


def front_page(
    site: Site, per_block: int, has_image: Callable[[Article], bool]
) -> FrontPage[Article]:
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
