"""Sitemaps (sitemaps.org protocol), the Google News sitemap, and robots.txt naming both.

What a site of 100,000 articles gets, and why:

- `sitemap.xml` is always a sitemap index (robots.txt names it), never a plain urlset,
  so a growing site never switches format. It lists one sitemap per calendar month of
  publication (`sitemap-2024-05.xml`, in the site's time zone, UTC without one) and one
  for the list pages (`sitemap-lists.xml`: home, sections, the tags index, tags,
  authors), each with its `<lastmod>`: the latest `<lastmod>` of its URLs.
- A month's sitemap lists the articles published that month, newest first, each with
  its canonical URL and its last change (`updated`, else `published`). A syndicated
  story whose canonical is another site's page is not ours to list.
- A list page's `<lastmod>` is the latest change to a story its URL shows (its first
  page; the tags index: each tag's newest story).
- No file holds more than 50,000 URLs or 50 MB (the protocol's limits): a month or the
  list pages past that continue in `sitemap-2024-05-2.xml`, `sitemap-lists-2.xml`...;
  the older stories fill the first part, so a new story changes only the last part.
- `news-sitemap.xml` (Google News) lists the stories published within two days of the
  newest one, newest first, at most 1,000.

Each file is a `Page` declaring the articles and fields it shows, so an edit re-renders
the sitemap of the edited story's month, the index (its month's `<lastmod>`) and, when
the story is on a list's first page, the list pages' sitemap: not 100,000 URLs.
Everything is derived from the articles' own dates, never from "now": republishing the
same content gives the same bytes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import compress, count
from operator import attrgetter, is_not

from syndicate.channel import EVERY_FIELD, Listed, OutputFile, Page, Reads
from syndicate.model import Article, SiteInfo

from .i18n import news_language

SITEMAP = "sitemap.xml"  # the index robots.txt names
LISTS = "sitemap-lists"  # the list pages' sitemap (".xml" added)
NEWS_SITEMAP = "news-sitemap.xml"
MAX_URLS = 50_000  # per file, by the sitemaps.org protocol
MAX_BYTES = 52_428_800  # 50 MB per file (uncompressed), by the protocol
NEWS_WINDOW = timedelta(days=2)  # Google News only reads the last two days
NEWS_MAX = 1_000  # Google News limit per sitemap
# A <url> line's bytes besides its escaped location: tags, a lastmod (25 characters,
# 28 for an offset with seconds), the newline; generously.
LINE_OVERHEAD = 80
FILE_OVERHEAD = 200  # the XML declaration and the root element
# What each sitemap shows of an article.
URL_FIELDS = ("url", "modified")
LASTMOD_FIELDS = ("modified",)
NEWS_FIELDS = ("url", "language", "title", "published")

_URL = attrgetter("url")
_MODIFIED = attrgetter("modified")

Located = tuple[str, tuple[int, ...]]  # a list page's URL, and its stories in a Reads


def escape(text: str) -> str:
    """&, < and > as XML text needs them (what xml.sax.saxutils.escape does, without
    importing urllib.request and http.client on every publish)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _w3c(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _lastmod(value: datetime | None) -> str:
    return f"<lastmod>{_w3c(value)}</lastmod>" if value is not None else ""


def _urlset(lines: Iterable[str]) -> str:
    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    return "\n".join([*head, *lines, "</urlset>"]) + "\n"


# --- planning: which files, and which URLs each holds --------------------------------


def by_month(
    articles: Sequence[Article], zone: tzinfo | None
) -> Iterator[tuple[str, Sequence[Article]]]:
    """`articles` (newest first, as the site holds them) in runs of one calendar month,
    newest month first. Each run's end is found by bisection: a site of 100,000
    articles asks ~20 dates a month instead of converting every one."""
    zone = zone or UTC
    start, count = 0, len(articles)
    while start < count:
        local = articles[start].published.astimezone(zone)
        try:
            begins = datetime(local.year, local.month, 1, tzinfo=zone).timestamp()
        except OverflowError:  # January of year 1 east of UTC: began before datetime's range
            begins = float("-inf")
        stop = bisect_right(articles, -begins, lo=start, key=lambda a: -a.published.timestamp())
        stop = max(stop, start + 1)  # the first is in its own month, whatever rounding says
        yield f"{local.year:04d}-{local.month:02d}", articles[start:stop]
        start = stop


def _parts(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """(start, stop) of consecutive runs of items with these byte sizes, each within
    the protocol's limits, filled from the first item."""
    runs: list[tuple[int, int]] = []
    start, used = 0, FILE_OVERHEAD
    for at, size in enumerate(sizes):
        if at > start and (at - start >= MAX_URLS or used + size > MAX_BYTES):
            runs.append((start, at))
            start, used = at, FILE_OVERHEAD
        used += size
    runs.append((start, len(sizes)))
    return runs


def _fits(locations: Sequence[str]) -> bool:
    """Whether one file holds these URLs: escaping makes a character at most 5 bytes."""
    return (
        len(locations) <= MAX_URLS
        and FILE_OVERHEAD + len(locations) * LINE_OVERHEAD + 5 * sum(map(len, locations))
        <= MAX_BYTES
    )


def _size(location: str) -> int:
    return LINE_OVERHEAD + len(escape(location).encode("utf-8"))


def _named(base: str, number: int) -> str:
    return f"{base}.xml" if number == 1 else f"{base}-{number}.xml"


def month_parts(month: str, run: Sequence[Article]) -> list[tuple[str, Sequence[Article]]]:
    """A month's articles (newest first) as sitemap files: one, unless the month holds
    more than a file may. The oldest stories fill the first part, so a new story (the
    usual change) leaves every part but the last as it was."""
    base = f"sitemap-{month}"
    locations = list(map(_URL, run))
    if _fits(locations):
        return [(_named(base, 1), run)]
    oldest_first = locations[::-1]
    runs = _parts([_size(loc) for loc in oldest_first])
    count = len(run)
    return [
        (_named(base, n), run[count - stop : count - start])
        for n, (start, stop) in enumerate(runs, start=1)
    ]


def list_parts(
    entries: Sequence[tuple[str, Sequence[Article]]],
) -> list[tuple[str, Sequence[tuple[str, Sequence[Article]]]]]:
    """The list pages' entries (URL, the stories it shows) as sitemap files."""
    locations = [loc for loc, _ in entries]
    if _fits(locations):
        return [(_named(LISTS, 1), entries)]
    runs = _parts([_size(loc) for loc in locations])
    return [(_named(LISTS, n), entries[a:b]) for n, (a, b) in enumerate(runs, start=1)]


# --- pages ---------------------------------------------------------------------------


def urlset_page(name: str, articles: Sequence[Article]) -> Page:
    """A month's sitemap: each article's URL and last change."""
    return Page(
        Reads(articles, URL_FIELDS, ("sitemap", name)),
        lambda listed: [OutputFile.text(name, _article_urlset(listed))],
        name=name,
    )


def _article_urlset(listed: Sequence[Listed]) -> str:
    return _urlset(
        f"<url><loc>{escape(a.url)}</loc><lastmod>{_w3c(a.modified)}</lastmod></url>"
        for a in listed
    )


def lists_page(name: str, entries: Sequence[tuple[str, Sequence[Article]]]) -> Page:
    """The list pages' sitemap: each page's URL, and the last change to a story it shows
    (each story read once, however many lists show it)."""
    shown: dict[str, int] = {}
    articles: list[Article] = []
    located: list[Located] = []
    for loc, stories in entries:
        places = []
        for article in stories:
            at = shown.get(article.slug)
            if at is None:
                at = shown[article.slug] = len(articles)
                articles.append(article)
            places.append(at)
        located.append((loc, tuple(places)))
    parts = ("sitemap-lists", name, tuple(located))
    return Page(
        Reads(articles, LASTMOD_FIELDS, parts),
        lambda listed: [OutputFile.text(name, _lists_urlset(located, listed))],
        name=name,
    )


def _lists_urlset(located: Sequence[Located], listed: Sequence[Listed]) -> str:
    changed = list(map(_MODIFIED, listed))
    return _urlset(
        f"<url><loc>{escape(loc)}</loc>{_lastmod(_latest(changed[i] for i in places))}</url>"
        for loc, places in located
    )


def _latest(changed: Iterable[datetime]) -> datetime | None:
    """The latest of `changed` (aware: compared as instants; the first of equal ones,
    whatever its offset, so the bytes stay the same)."""
    return max(changed, default=None)


def index_page(info: SiteInfo, files: Sequence[tuple[str, Sequence[Article]]]) -> Page:
    """sitemap.xml: every sitemap file, with the last change to any of its URLs. The
    files' stories are declared one after another; a count says where each ends."""
    articles = [a for _, stories in files for a in stories]
    counts = tuple((name, len(stories)) for name, stories in files)
    # It shows only `modified`, but declares every field: the articles themselves are
    # handed over, not 100,000 views, and keyed by their fingerprints (no digest of a
    # field per article). Nearly every edit changes `modified` anyway (corrections).
    latest = LatestByFile()  # kept with the plan: an edit re-reads only its file's stories
    return Page(
        Reads(articles, EVERY_FIELD, ("sitemap-index", counts)),
        lambda listed: [OutputFile.text(SITEMAP, _index(info, counts, listed, latest))],
        name=SITEMAP,
    )


class LatestByFile:
    """The latest change in each sitemap file, remembered with the very stories it was
    taken from. A file whose stories are the same objects keeps it, and one where a few
    were swapped (an edit) looks at those only, unless the latest was one of them:
    comparing identities runs at C speed; 100,000 aware datetimes do not."""

    def __init__(self) -> None:
        # name -> (its stories, their latest change, where the first such story is)
        self._seen: dict[str, tuple[Sequence[Listed], datetime | None, int]] = {}

    def of(self, name: str, stories: Sequence[Listed]) -> datetime | None:
        seen = self._seen.get(name)
        found = _latest_after_swap(seen, stories) if seen is not None else None
        if found is None:
            changed = list(map(_MODIFIED, stories))
            latest = _latest(changed)
            found = latest, changed.index(latest) if changed else -1
        self._seen[name] = (stories, *found)
        return found[0]


def _latest_after_swap(
    seen: tuple[Sequence[Listed], datetime | None, int], stories: Sequence[Listed]
) -> tuple[datetime | None, int] | None:
    """The latest change of `stories` and where it is, from that of the stories `seen`
    when only a few were swapped and the latest one was not; else None."""
    before, latest, where = seen
    if len(before) != len(stories) or where < 0 or before[where] is not stories[where]:
        return None
    swapped = list(compress(count(), map(is_not, before, stories)))
    if len(swapped) * 8 > len(stories):
        return None
    for at in swapped:  # as max() would: the first of equal ones
        changed = _MODIFIED(stories[at])
        if latest is None or changed > latest or (changed == latest and at < where):
            latest, where = changed, at
    return latest, where


def _index(
    info: SiteInfo,
    counts: Sequence[tuple[str, int]],
    listed: Sequence[Listed],
    latest: LatestByFile,
) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    start = 0
    for name, size in counts:
        changed = latest.of(name, listed[start : start + size])
        start += size
        loc = escape(info.absolute(name))
        lines.append(f"<sitemap><loc>{loc}</loc>{_lastmod(changed)}</sitemap>")
    lines.append("</sitemapindex>")
    return "\n".join(lines) + "\n"


def news_stories(own: Sequence[Article]) -> Sequence[Article]:
    """What the news sitemap lists: the stories (newest first, as the site holds them)
    published within two days of the newest one, at most 1,000."""
    if not own:
        return ()
    since = own[0].published.timestamp() - NEWS_WINDOW.total_seconds()  # year 1 too
    stop = bisect_right(
        own, -since, hi=min(len(own), NEWS_MAX), key=lambda a: -a.published.timestamp()
    )
    return own[:stop]


def news_page(info: SiteInfo, stories: Sequence[Article]) -> Page:
    return Page(
        Reads(stories, NEWS_FIELDS, ("news-sitemap", info.title, info.language)),
        lambda listed: [OutputFile.text(NEWS_SITEMAP, news_sitemap(info, listed))],
        name=NEWS_SITEMAP,
    )


def news_sitemap(info: SiteInfo, stories: Iterable[Listed]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
    ]
    name = escape(info.title)
    for article in stories:
        language = news_language(article.language or info.language)
        lines.append(
            f"<url><loc>{escape(article.url)}</loc><news:news><news:publication>"
            f"<news:name>{name}</news:name>"
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
