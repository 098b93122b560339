"""What a resident publisher keeps of its last render, so an edit renders its dependents only.

Planning a channel's pages (`render_site`) and keying every article's files costs per
article of the site: at 100,000 articles, seconds an edit. But an edit that leaves every
article in its place (same slug, same lists, same plan fields: `Channel.plan_fields`)
leaves each channel's plan as it was: the same pages, listing the same articles. Then
the engine takes the last plan, hands the pages that list an edited article the new
version of it (their keys say whether they render again), keys the edited articles and
the ones whose pages list them, and carries everything else over as a whole.

`Rendered` is that memory: the site last rendered, each channel's plan, and the files
the publish put live. It is taken only when the live output is still what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress, count
from operator import is_not

from ..channel import AnyChannel, OutputFile, Page, checked_fields
from ..model import Article, Site, same_objects
from ..render import article_renderer, piece_renderer
from . import keys
from .keys import Chunks, chunk_digest, chunk_digests

Files = dict[str, str]  # output path -> checksum
Pair = tuple[Article, Article]  # (as last rendered, as now)


@dataclass(frozen=True, slots=True)
class Planned:
    """One page of a channel's plan, with the key its files were rendered under."""

    key: str
    page: Page


@dataclass
class ChannelPlan:
    """A channel's last render: its pages, its article keys and every file it wrote."""

    base: str  # the channel's key (code, settings, templates, site facts)
    pages: list[Planned] = field(default_factory=list)
    article_keys: dict[str, str] = field(default_factory=dict)  # slug -> key
    files: Files = field(default_factory=dict)
    # Which articles' pages list which (slug -> slugs), and which pages list an article
    # (slug -> page indexes): worked out on first need, then shared from plan to plan,
    # because an edit that keeps the plan keeps them too.
    readers: dict[str, list[str]] | None = None
    listing: dict[str, list[int]] | None = None
    carried: bool = False  # kept from the last publish (not planned by this one)
    rehearsed: bool = False  # see `Rendered.rehearse`
    # The channel that planned it, when it writes article files: what `Rendered.prepare`
    # works out `readers` with (a cold build keys articles in its workers, without them).
    channel: AnyChannel | None = field(default=None, repr=False)
    # What it keeps of each page listing more than CHUNK articles (page index -> it).
    long: dict[int, LongPage] = field(default_factory=dict, repr=False)

    def swap(self, index: int, new: dict[int, Article]) -> tuple[Page, Chunks | None]:
        """Page `index` listing the new version of each article `new` has (by old id),
        with its list's chunk digests when it is a long one (see `LongPage`)."""
        page = self.pages[index].page
        if len(page.reads.articles) <= keys.CHUNK:
            return swapped(page, new), None
        long = self.long.get(index)
        if long is None:
            long = self.long[index] = LongPage.of(page)
        return long.swapped(page, new)

    def long_pages(self) -> None:
        """Keep each long page's places and chunk digests, for the edits to come."""
        for index, planned in enumerate(self.pages):
            if len(planned.page.reads.articles) > keys.CHUNK and index not in self.long:
                self.long[index] = LongPage.of(planned.page)

    def edited(self) -> ChannelPlan:
        """This plan, to change in place for an edit. No copy (at 100,000 articles its
        dicts took ~20 ms to copy and as long to free, an edit): the resident publisher
        lets go of its last render when a publish starts (`pipeline._publish`) and plans
        anew after one that failed, so nothing reads the plan as it was."""
        self.carried = True
        return self

    def readers_of(self, adapter: AnyChannel, site: Site) -> dict[str, list[str]]:
        if self.readers is None:
            self.readers = {}
            for article in site.articles:
                for listed in adapter.article_reads(article, site).articles:
                    self.readers.setdefault(listed.slug, []).append(article.slug)
        return self.readers

    def pages_listing(self) -> dict[str, list[int]]:
        if self.listing is None:
            self.listing = {}
            for index, planned in enumerate(self.pages):
                for article in planned.page.reads.articles:
                    self.listing.setdefault(article.slug, []).append(index)
        return self.listing


@dataclass
class Rendered:
    """The last publish's render, as a resident publisher keeps it for the next edit."""

    site: Site
    plans: dict[str, ChannelPlan]
    files: Files  # everything the publish put live (its manifest)
    owners: dict[str, str]  # output path -> the channel that wrote it

    def prepare(self) -> None:
        """Work out now what the next edit would otherwise work out first."""
        for plan in self.plans.values():
            plan.pages_listing()
            plan.long_pages()
            if plan.channel is not None:
                plan.readers_of(plan.channel, self.site)
        self.rehearse()

    def rehearse(self) -> None:
        """Render, and throw away, what an edit of the newest story would render: its
        files, the pages listing it and the long pages. After a cold build (rendered in
        workers) this process has compiled no template and filled no channel memo (the
        sitemap index's latest change per file); the first edit did it, ~0.2 s of it at
        100,000 articles. Once a plan: rendering the long pages again costs ~0.3 s at
        100,000, and edits keep the plan. A failure is left for that edit to report."""
        if not self.site.articles:
            return
        newest = self.site.articles[0]
        for plan in self.plans.values():
            if plan.rehearsed:  # once a plan: an edit renders in this process
                continue
            plan.rehearsed = True
            renders: list[Callable[[], Iterable[OutputFile]]] = []
            if plan.channel is not None:
                renders.append(article_renderer(plan.channel, newest, self.site))
            listing = plan.pages_listing().get(newest.slug, [])
            for index in sorted({*listing, *plan.long}):
                renders.append(piece_renderer(plan.pages[index].page))
            try:
                for render in renders:
                    for _ in render():
                        pass
            except Exception:  # a rehearsal: the edit renders it again and reports it
                pass

    def edit_of(self, site: Site, live: Files) -> list[Pair] | None:
        """The articles `site` has in place of this render's, when nothing else changed:
        same site facts, sections, order and slugs, and the live files what it wrote."""
        last = self.site
        if (
            len(site.articles) != len(last.articles)
            or site.info != last.info
            or site.sections != last.sections
            or site.expired != last.expired
            or not same_objects(site.scheduled, last.scheduled)
            or (live is not self.files and live != self.files)
        ):
            return None
        # Compared at C speed: an edit changes a handful of 100,000 articles.
        moved = compress(count(), map(is_not, site.articles, last.articles))
        pairs = [(last.articles[i], site.articles[i]) for i in moved]
        if any(old.slug != new.slug for old, new in pairs):
            return None
        return pairs


def keeps_plan(adapter: AnyChannel, pairs: Iterable[Pair]) -> bool:
    """Whether the channel's pages stay as planned: it declares what it plans by, and
    no edited article changed any of it (`Channel.plan_key`)."""
    if type(adapter).plan_fields is None:
        return False
    for old, new in pairs:
        before = adapter.plan_key(old)
        if before is None or before != adapter.plan_key(new):
            return False
    return True


@dataclass
class LongPage:
    """A page listing many articles (a sitemap index lists all 100,000), as a plan keeps
    it between edits: where each article sits in its list, and the list's chunk digests.
    An edit then swaps its articles in and keys the page by digesting the chunks it
    touched: finding them and digesting the whole list took ~30 ms an edit."""

    places: dict[int, list[int]]  # id of a listed article -> its places in the list
    chunks: list[str]  # `keys.chunk_digests` of the list

    @classmethod
    def of(cls, page: Page) -> LongPage:
        places: dict[int, list[int]] = {}
        for at, article in enumerate(page.reads.articles):
            places.setdefault(id(article), []).append(at)
        fields = checked_fields(page.reads.fields)
        return cls(places, chunk_digests(page.reads.articles, fields)[1])

    def swapped(self, page: Page, new: dict[int, Article]) -> tuple[Page, Chunks]:
        reads = page.reads
        articles = list(reads.articles)
        touched = set()
        for old, article in new.items():
            places = self.places.pop(old, [])
            for at in places:
                articles[at] = article
                touched.add(at - at % keys.CHUNK)
            if places:
                self.places.setdefault(id(article), []).extend(places)
        fields = checked_fields(reads.fields)
        for start in touched:
            self.chunks[start // keys.CHUNK] = chunk_digest(articles, start, fields)
        return relisted(page, articles), ("chunks", list(self.chunks))


def swapped(page: Page, new: dict[int, Article]) -> Page:
    """`page` listing the new version of each article `new` has (by the old one's id)."""
    reads = page.reads
    articles = list(reads.articles)
    ids = list(map(id, articles))  # found by identity at C speed
    for old, article in new.items():
        at = -1
        while (at := _position(ids, old, at + 1)) >= 0:
            articles[at] = article
            ids[at] = id(article)
    return relisted(page, articles)


def relisted(page: Page, articles: list[Article]) -> Page:
    """`page` with `articles` in place of those it listed."""
    return Page(page.reads._replace(articles=tuple(articles)), page.render, page.name)


def _position(ids: list[int], wanted: int, start: int) -> int:
    try:
        return ids.index(wanted, start)
    except ValueError:
        return -1
