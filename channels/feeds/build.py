"""Builds every feed file of a publish from shared, once-per-article items and entries.

Each feed (a site, section or tag feed in all its formats) and each archive page is a
`Page` declaring everything it shows (its articles' `FEED_FIELDS` and the site facts it
names), so a publish re-renders only the feeds whose articles or metadata changed, and the
pipeline spreads the rest over cores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from syndicate import urls
from syndicate.channel import Listed, OutputFile, Page, Reads
from syndicate.model import Site

from . import atomfast, jsonfeed, xmlfeeds
from .archive import ArchivePage, PlannedSizes, plan_archive
from .budget import check_size, fitting_count
from .entries import EntryCache
from .items import FeedItem, ItemCache, feed_date, make_item
from .plan import FeedSpec, plan_feeds
from .settings import FeedsSettings
from .xmlfeeds import FeedHead, XmlFormat

STYLESHEET_PATH = "feed.xsl"  # the XSLT that makes a feed readable in a browser

HeadFor = Callable[[Sequence[FeedItem]], bytes]
Body = Callable[[FeedItem, bool], bytes]

# What an entry shows of an article (`make_item` reads these and nothing else). Not
# `related`: a story's "related news" list is no part of its entry, and declaring the
# article whole re-rendered the archive pages of every story listing an edited headline.
FEED_FIELDS = (
    "slug", "uid", "title", "url", "published", "modified", "authors", "summary",
    "body_html", "corrections", "tags", "section", "image", "source", "language",
)  # fmt: skip
Join = Callable[[bytes, Sequence[bytes]], bytes]


class FeedBuilder:
    def __init__(self, site: Site, settings: FeedsSettings, stylesheet: bool = False) -> None:
        self.site = site
        self.info = site.info
        self.settings = settings
        self.stylesheet_url = self.info.absolute(STYLESHEET_PATH) if stylesheet else None
        self.items = ItemCache(site)
        self.entries = EntryCache()
        self._json: dict[tuple[str, bool], tuple[FeedItem, bytes]] = {}
        self.pages: list[ArchivePage] = []
        if settings.archived:
            self.pages = plan_archive(
                site.articles, self.info.timezone, PlannedSizes(self.info), settings.max_bytes
            )
        self.specs = plan_feeds(
            site, sections=settings.sections, tags=settings.tags, authors=settings.authors
        )
        # Articles some subscription feed lists: their items and entries are kept for
        # reuse. Any other article is in exactly one archive page, so its item and entry
        # are dropped once written, and memory is reused instead of piling up.
        self._windowed = {a.slug for spec in self.specs for a in spec.articles[: settings.limit]}
        # What every feed shows of the site: its facts, and section titles (categories).
        self._common: tuple[object, ...] = (
            self.info.title, self.info.base_url, self.info.language, self.info.description,
            self.info.id_authority, self.info.id_date, self.info.hubs, self.stylesheet_url,
            tuple((p, s.title, s.description, s.url) for p, s in sorted(site.sections.items())),
        )  # fmt: skip

    def work(self) -> Iterator[Page]:
        """One page per feed (all its formats) and per archive page, declaring what it
        shows: its articles whole (full content), and the feed's own facts."""
        for spec in self.specs:
            window = spec.articles[: self.settings.limit]
            parts = (
                "feed", self._common, spec.key, spec.title, spec.description, spec.home_url,
                spec.paths, self._feed_links(spec),
            )  # fmt: skip
            reads = Reads(window, FEED_FIELDS, parts)
            yield Page(reads, self._bind_feed(spec), name=next(iter(spec.paths.values()), ""))
        for index, page in enumerate(self.pages):
            neighbours = tuple(p.period for p in self.pages[max(0, index - 1) : index + 2])
            reads = Reads(
                page.articles, FEED_FIELDS, ("archive", self._common, page.period, neighbours)
            )
            path = urls.archive_feed(page.period)
            yield Page(reads, self._bind_archive(index), name=path)

    def files(self) -> Iterator[OutputFile]:
        """Every file at once (no reuse): what `work` yields, rendered in order."""
        for piece in self.work():
            yield from piece.files()

    def _bind_feed(self, spec: FeedSpec) -> Callable[[tuple[Listed, ...]], Iterator[OutputFile]]:
        return lambda listed: self._feed_files(spec, listed)

    def _bind_archive(self, index: int) -> Callable[[tuple[Listed, ...]], Iterator[OutputFile]]:
        path = urls.archive_feed(self.pages[index].period)
        return lambda listed: iter([OutputFile(path, self._archive(index, listed))])

    def _feed_files(self, spec: FeedSpec, window: Sequence[Listed]) -> Iterator[OutputFile]:
        items = [self.items.get(a) for a in window]
        for fmt in self.settings.formats:
            if fmt == "json":
                data = self._json_feed(spec, items)
            else:
                data = self._xml_feed(spec, items, fmt)
            yield OutputFile(spec.paths[fmt], data)

    def _feed_links(self, spec: FeedSpec) -> tuple[tuple[str, str], ...]:
        """RFC 5005: the site's Atom feed points at the newest archive page."""
        if spec.key or not self.pages:
            return ()
        return (("prev-archive", self._page_url(len(self.pages) - 1)),)

    # -- feeds ----------------------------------------------------------------------

    def _xml_feed(self, spec: FeedSpec, items: list[FeedItem], fmt: XmlFormat) -> bytes:
        links = self._feed_links(spec) if fmt == "atom" else ()

        def head_for(shown: Sequence[FeedItem]) -> bytes:
            return xmlfeeds.render_head(
                fmt,
                FeedHead(
                    feed_id=spec.feed_id(self.info),
                    title=spec.title,
                    description=spec.description,
                    language=self.info.language,
                    author=self.info.title,
                    home_url=spec.home_url,
                    self_url=spec.url(self.info, fmt),
                    updated=self._updated([i.modified for i in shown]),
                    hub=self.hub,
                    links=links,
                    stylesheet_url=self.stylesheet_url,
                ),
            )

        def body(item: FeedItem, full: bool) -> bytes:
            return self.entries.xml(item, fmt, full=full)

        def join(head: bytes, parts: Sequence[bytes]) -> bytes:
            return xmlfeeds.assemble(fmt, head, parts)

        def size(part: bytes) -> int:
            return xmlfeeds.entries_size(fmt, [part])

        return self._fit(spec.paths[fmt], items, head_for, body, join, size)

    def _json_feed(self, spec: FeedSpec, items: list[FeedItem]) -> bytes:
        def head_for(shown: Sequence[FeedItem]) -> bytes:
            return jsonfeed.render_head(
                title=spec.title,
                home_url=spec.home_url,
                feed_url=spec.url(self.info, "json"),
                description=spec.description,
                language=self.info.language,
                author=self.info.title,
                hub=self.hub,
            )

        return self._fit(
            spec.paths["json"],
            items,
            head_for,
            self._json_item,
            jsonfeed.assemble,
            lambda part: len(part) + 1,  # and a comma
        )

    def _fit(
        self,
        what: str,
        items: list[FeedItem],
        head_for: HeadFor,
        body: Body,
        join: Join,
        size: Callable[[bytes], int],
    ) -> bytes:
        """The newest items that keep the document under the size limit (see budget.py)."""
        limit = self.settings.max_bytes
        parts = [body(item, True) for item in items]
        head = head_for(items)
        data = join(head, parts)
        if len(data) < limit or not items:
            return check_size(data, limit, what)
        # An article too big to fit alone is listed with its summary, not dropped.
        parts = [
            part if len(head) + size(part) < limit else body(item, False)
            for item, part in zip(items, parts, strict=True)
        ]
        count = fitting_count(len(head), (size(p) for p in parts), limit)
        for n in range(max(count, 1), 0, -1):
            data = join(head_for(items[:n]), parts[:n])
            if len(data) < limit:
                return data
        return check_size(data, limit, what)

    # -- archive ----------------------------------------------------------------------

    def _archive(self, index: int, articles: Sequence[Listed]) -> bytes:
        page = self.pages[index]
        info = self.info
        links = [("current", info.absolute(urls.site_feed("atom")))]
        if index > 0:
            links.append(("prev-archive", self._page_url(index - 1)))
        if index + 1 < len(self.pages):
            links.append(("next-archive", self._page_url(index + 1)))
        head = xmlfeeds.render_head(
            "atom",
            FeedHead(
                feed_id=f"tag:{info.id_authority},{info.id_date}:archive/{page.period}",
                title=f"{info.title}: archive {page.period}",
                description=f"Articles of {info.title} published in {page.period[:7]}",
                language=info.language,
                author=info.title,
                home_url=info.base_url,
                self_url=self._page_url(index),
                updated=self._updated([feed_date(a.modified) for a in articles]),
                links=tuple(links),
                archive=True,
                stylesheet_url=self.stylesheet_url,
            ),
        )
        entries = [self._archive_entry(a) for a in articles]
        data = xmlfeeds.assemble_pieces("atom", head, entries)
        if len(data) >= self.settings.max_bytes:  # planned with size bounds; a last guard
            parts = [atomfast.atom_entry(self._item(a), full=False) for a in articles]
            data = xmlfeeds.assemble("atom", head, parts)
        return check_size(data, self.settings.max_bytes, urls.archive_feed(page.period))

    # -- helpers --------------------------------------------------------------------------

    @property
    def hub(self) -> str | None:
        """The hub to announce: the feeds' own setting, else the site's first WebSub hub."""
        return self.settings.hub or (self.info.hubs[0] if self.info.hubs else None)

    def _updated(self, modified: Sequence[datetime]) -> datetime:
        """The newest item's modification: never "now", so unchanged feeds keep their bytes."""
        if modified:
            return max(modified)
        year, _, rest = self.info.id_date.partition("-")
        month, _, day = rest.partition("-")
        return datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)

    def _page_url(self, index: int) -> str:
        return self.info.absolute(urls.archive_feed(self.pages[index].period))

    def _json_item(self, item: FeedItem, full: bool) -> bytes:
        """The item as JSON, encoded once (for this very item: see `EntryCache`)."""
        key = (item.slug, full)
        found = self._json.get(key)
        if found is not None and found[0] is item:
            return found[1]
        data = jsonfeed.encode_item(item, full=full)
        self._json[key] = (item, data)
        return data

    def _item(self, article: Listed) -> FeedItem:
        """The article's item: kept if a subscription feed lists it, else made for one use."""
        if article.slug in self._windowed:
            return self.items.get(article)
        return make_item(article, self.site)

    def _archive_entry(self, article: Listed) -> tuple[bytes, ...]:
        """The Atom entry the subscription feeds splice in too (serialised once)."""
        if article.slug in self._windowed:
            return (self.entries.xml(self.items.get(article), "atom"),)
        return atomfast.atom_entry_parts(make_item(article, self.site))
