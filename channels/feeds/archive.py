"""RFC 5005 section 4 archived feeds: the whole history of the site feed, by month.

The subscription document (the site's atom.xml) links `rel="prev-archive"` to the
newest archive page; each archive page (`archive/YYYY-MM/atom.xml`, with
`<fh:archive/>`) links `current` to the subscription document, `prev-archive` to the
next older page and `next-archive` to the next newer one. A partner that was offline
walks prev-archive until it reaches items it has seen, and misses nothing.

Every article is in exactly one page (the month of its publication, in the site's time
zone), so the chain is complete even for the months the subscription window still
shows; a backdated or edited article changes only its own month's page. A month too
big for the size limit is split into parts `YYYY-MM`, `YYYY-MM-2`, ... oldest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from functools import partial

from syndicate.model import Article, SiteInfo

# Room for the feed's own elements and links besides its entries.
HEAD_ALLOWANCE = 4_000
# An entry's markup and metadata besides its body, generously (escaping can grow
# "&" fivefold in titles and summaries).
ENTRY_OVERHEAD = 2_000
# Pages are split by estimates rounded up to a multiple of this, so that an edit (a
# headline, a summary, a paragraph) changes an article's planned size, and with it the
# split of its month, only when it crosses a multiple: a resident publisher then keeps
# the plan (`FeedsChannel.plan_key`) instead of planning 100,000 articles again. An
# edit that changes the estimate by d bytes crosses a multiple with chance d / step: a
# 27-character headline change (5x: 135 bytes) 3% of the time with 4 KiB, 13% with
# 1 KiB; a 600-byte paragraph 14% against 59%. The price is fuller estimates: on the
# 10,000-article bench corpus (estimates ~11 kB) 142 archive pages instead of 121
# (1 KiB: 126), the same entries and bytes in all. Archive pages are fetched rarely
# (a partner catching up), edits are made all day: 4 KiB.
ENTRY_SIZE_STEP = 4_096


@dataclass(frozen=True)
class ArchivePage:
    period: str  # "2024-02", or "2024-02-2" for the second part of a large month
    articles: tuple[Article, ...]  # newest first


def month_of(article: Article, zone: tzinfo | None) -> str:
    """Kept on the article object: a resident publisher that plans the archive again
    (an edit that changed an entry's planned size) asks it of 100,000 unchanged ones."""
    return article.worked_out(("feeds.month", zone), partial(_month, zone=zone))


def _month(article: Article, zone: tzinfo | None) -> str:
    when = article.published.astimezone(zone or UTC)
    return f"{when.year:04d}-{when.month:02d}"


def estimated_entry_size(article: Article, info: SiteInfo) -> int:
    """An upper bound of the bytes of the article's archive entry, without rendering it.

    Pages are planned from these so that a publish which changed one article need not
    render every entry of the site just to find out where the page breaks fall.
    """
    body = article.body  # its sizes, known without fetching the HTML
    escaped = body.size + 4 * body.markup  # "&" -> "&amp;" is the worst case
    links = body.links + 2  # + lead image, source
    absolute = links * (len(article.url) + len(info.base_url)) * 2
    meta = (article.title, article.summary, *article.authors, *article.tags, article.uid)
    image = article.image
    extras = (image.src, image.alt, image.caption or "", image.credit or "") if image else ()
    source = (article.source.name, article.source.url or "") if article.source else ()
    joined = "".join((*meta, *extras, *source))
    text = len(joined) if joined.isascii() else len(joined.encode("utf-8"))
    return escaped + absolute + 5 * text + ENTRY_OVERHEAD


def rounded_entry_size(article: Article, info: SiteInfo) -> int:
    """`estimated_entry_size` rounded up to `ENTRY_SIZE_STEP`: still an upper bound."""
    return -(-estimated_entry_size(article, info) // ENTRY_SIZE_STEP) * ENTRY_SIZE_STEP


class PlannedSizes:
    """Each article's rounded entry size, worked out once per article object (an
    unchanged article keeps it from publish to publish in a resident publisher)."""

    __slots__ = ("_key", "_work")

    def __init__(self, info: SiteInfo) -> None:
        self._key = ("feeds.entry-size", ENTRY_SIZE_STEP, info.base_url)  # all it reads of info
        self._work = partial(rounded_entry_size, info=info)

    def __call__(self, article: Article) -> int:
        return article.worked_out(self._key, self._work)


def plan_archive(
    articles: Sequence[Article],
    zone: tzinfo | None,
    entry_size: Callable[[Article], int],
    max_bytes: int,
) -> list[ArchivePage]:
    """Archive pages oldest first; `articles` is the site's list, newest first.

    `entry_size` bounds each article's entry from above: `PlannedSizes`, whose rounded
    values are what `FeedsChannel.plan_key` compares, so a kept plan is this split."""
    months: dict[str, list[Article]] = {}
    for article in reversed(articles):  # oldest first
        months.setdefault(month_of(article, zone), []).append(article)
    pages: list[ArchivePage] = []
    budget = max_bytes - HEAD_ALLOWANCE
    for month in sorted(months):
        parts: list[list[Article]] = [[]]
        used = 0
        for article in months[month]:
            size = entry_size(article)
            if parts[-1] and used + size > budget:
                parts.append([])
                used = 0
            parts[-1].append(article)
            used += size
        for number, part in enumerate(parts, start=1):
            period = month if number == 1 else f"{month}-{number}"
            pages.append(ArchivePage(period, tuple(reversed(part))))
    return pages
