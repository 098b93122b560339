"""Incremental rendering: skips what has not changed, spreads the rest over cores.

Every piece of output (one article's files for one channel, or one `Page`) is keyed by a
fingerprint of all its inputs, worked out here from what the channel declares it reads
(`Reads`): channels compute no keys. When the key matches the last publish and the live
files are the ones it wrote, they are carried over without rendering. The rest is
rendered, in worker processes when there is enough of it to pay for them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .. import __version__
from ..channel import AnyChannel, OutputFile, Page
from ..digests import fingerprint
from ..model import Article, Site
from ..render import article_renderer, checked, piece_renderer, renders_articles, site_pieces
from ..writer import StagedOutput
from .cache import BuildCache
from .keys import reads_key
from .plans import ChannelPlan, Files, Pair, Planned, Rendered, keeps_plan
from .stamps import tree_digest
from .workers import PARALLEL_THRESHOLD, fork_pool, worker_count

Placed = tuple[str, str, bool]  # (path, checksum, rewritten?)
Result = tuple[int, tuple[str, list[Placed]]]  # (index in the work list, (key, placed))
Key = str | Callable[[], str]  # a callable key is worked out where the piece is rendered
# (key, channel, render, the article's slug for its per-article files)
Work = tuple[Key, AnyChannel, Callable[[], Iterable[OutputFile]], str | None]
Advance = Callable[[float], None]


def channel_key(adapter: AnyChannel, templates_stamp: str) -> str:
    """Fingerprint of a channel's code, settings and templates (code and templates by
    content: every edit counts, even one in the clock tick of the last publish)."""
    code = Path(inspect.getfile(type(adapter))).parent
    return fingerprint(
        __version__,
        adapter.name,
        type(adapter).__qualname__,
        adapter.settings.model_dump_json(),
        templates_stamp,
        tree_digest(code),
    )


@dataclass
class _Job:
    """What forked workers inherit: they look work up by index instead of pickling it."""

    staged: StagedOutput
    work: list[Work]


_JOB: _Job | None = None


def _render_one(index: int) -> tuple[str, list[Placed]]:
    assert _JOB is not None
    key, adapter, render, _ = _JOB.work[index]
    placed = [_JOB.staged.place(f.path, f.content) for f in checked(adapter, render)]
    return key if isinstance(key, str) else key(), placed


def _render_chunk(indices: list[int]) -> list[tuple[str, list[Placed]]]:
    return [_render_one(i) for i in indices]


class Renderer:
    """Renders every channel into a staged output, reusing the last publish's results.

    `last`: a resident publisher's memory of its last render (see `plans`), offered when
    only article files changed since; channels whose plan an edit keeps are not planned
    again. `memory()` is what to keep of this render once it is live.
    """

    def __init__(self, site: Site, staged: StagedOutput, cache: BuildCache,
                 templates_stamp: str, last: Rendered | None = None) -> None:  # fmt: skip
        self.site = site
        self.staged = staged
        self.cache = cache
        self.templates_stamp = templates_stamp
        self.last = last
        self.outputs: dict[str, tuple[tuple[str, str], ...]] = {}
        self.used: set[str] = set()  # keys rendered or carried over by this publish
        self.reused = 0
        self.owners: dict[str, str] = {}  # output path -> the channel that wrote it
        self.plans: dict[str, ChannelPlan | None] = {}  # None: not one an edit may keep
        self._files: dict[str, Files] = {}  # channel -> its files staged so far

    def run(self, adapters: list[AnyChannel], start: Callable[[str, int], None],
            advance: Advance) -> None:  # fmt: skip
        # Site facts (title, base URL, hubs...) reach every page: part of every key.
        bases = [
            (adapter, fingerprint(channel_key(adapter, self.templates_stamp), repr(self.site.info)))
            for adapter in adapters
        ]
        edit = self.last.edit_of(self.site, self.staged.previous) if self.last else None
        if self.last and edit is not None:  # changed in place, as the plans it kept
            self.owners = self.last.owners
        kept: list[Work] = []
        planned: list[tuple[AnyChannel, str]] = []
        for adapter, base in bases:
            self._files[adapter.name] = {}
            plan = self.last.plans.get(adapter.name) if self.last and edit is not None else None
            if plan is not None and plan.base == base and keeps_plan(adapter, edit or ()):
                kept.extend(self._edit_work(adapter, plan, edit or []))
            else:
                channel = adapter if renders_articles(adapter) else None
                self.plans[adapter.name] = ChannelPlan(base, channel=channel)
                planned.append((adapter, base))
        articles = [w for adapter, base in planned for w in self._article_work(adapter, base)]
        site: list[Work] = []

        def plan_site() -> None:
            site.extend(w for adapter, base in planned for w in self._site_work(adapter, base))

        if self.cache.outputs:  # most is carried over: plan it all, render the rest
            plan_site()
            start("rendering changed pages", len(kept) + len(articles) + len(site))
            self._render(kept + articles + site, advance)
        else:
            # A cold build: workers start on the article pages while this process plans
            # the pages that list them (a second or more of serial work on 10,000).
            # Counted in articles: each has one piece of work per channel that renders it.
            per_article = max(1, sum(renders_articles(adapter) for adapter, _ in bases))
            start("rendering articles", len(articles) // per_article)
            self._render(articles, lambda n: advance(n / per_article), meanwhile=plan_site)
            start("rendering lists and feeds", len(site))
            self._render(site, advance)
        self._keep_outputs()
        self.cache.outputs = self.outputs

    def memory(self) -> Rendered:
        """What a resident publisher keeps of this render, once its output is live."""
        plans: dict[str, ChannelPlan] = {}
        for name, plan in self.plans.items():
            if plan is not None:
                plan.files = self._files[name]
                plans[name] = plan
        files, owners = self.staged.files, self.owners
        if len(owners) > len(files) + 1000:  # kept from render to render: drop the gone
            owners = {rel: owners[rel] for rel in files if rel in owners}
        return Rendered(self.site, plans, files, owners)

    # -- an edit that keeps a channel's plan --------------------------------------------

    def _edit_work(self, adapter: AnyChannel, last: ChannelPlan, pairs: list[Pair]) -> list[Work]:
        """The work of an edit on a kept plan: the edited articles' files and those of the
        articles listing them, and the pages listing them, when their keys changed; the
        channel's other files carried over as they are."""
        plan = last.edited()
        self.plans[adapter.name] = plan
        edited = [new.slug for _, new in pairs]
        work: list[Work] = []
        stale: list[str] = []
        if renders_articles(adapter):
            readers = plan.readers_of(adapter, self.site)
            affected = set(edited).union(*(readers.get(slug, ()) for slug in edited))
            for slug in sorted(affected):
                article = self.site.by_slug[slug]
                key = self._article_key(plan.base, adapter, article)
                if key != plan.article_keys.get(slug):
                    stale.append(plan.article_keys.get(slug, ""))
                    plan.article_keys[slug] = key
                    work.append((key, adapter, article_renderer(adapter, article, self.site), slug))
        listing = plan.pages_listing()
        new = {id(old): article for old, article in pairs}
        for index in sorted({i for slug in edited for i in listing.get(slug, ())}):
            page, chunks = plan.swap(index, new)
            key = fingerprint(plan.base, "page", *reads_key(page.reads, chunks))
            if key != plan.pages[index].key:
                stale.append(plan.pages[index].key)
                work.append((key, adapter, piece_renderer(page), None))
            plan.pages[index] = Planned(key, page)
        for key in stale:  # rendered again: its files come back when they are
            for path, _ in self.cache.outputs.get(key, ()):
                plan.files.pop(path, None)
        self.staged.carry(plan.files)  # their owners are the last render's
        self._files[adapter.name] = plan.files
        self.reused += len(plan.article_keys) + len(plan.pages) - len(work)
        return work

    def _keep_outputs(self) -> None:
        """The cache's outputs for the next publish: the keys this one used, and a kept
        plan's keys with their files (the next publish may plan anew, and carry them).
        After an edit, the last publish's outputs stay too (one copy at C speed instead
        of a look-up per key), until they hold twice as many keys as the site uses."""
        kept = [plan for plan in self.plans.values() if plan is not None and plan.carried]
        if not kept:
            return
        last = self.cache.outputs
        used = len(self.used) + sum(len(p.article_keys) + len(p.pages) for p in kept)
        if len(last) <= 2 * used + 1000:
            # Updated in place: a copy of 100,000 keys took ~10 ms an edit. A failed
            # publish may leave its keys here, as assigning them did before: an output
            # is only taken once the live files are the ones it names (`_reuse`).
            last.update(self.outputs)
            self.outputs = last
            return
        for plan in kept:
            keys = [*plan.article_keys.values(), *(p.key for p in plan.pages)]
            self.outputs.update({k: last[k] for k in keys if k not in self.outputs and k in last})

    # -- a channel planned anew ---------------------------------------------------------

    def _article_work(self, adapter: AnyChannel, base: str) -> Iterator[Work]:
        site = self.site
        if not renders_articles(adapter):
            return  # 10,000 keys a publish for files that do not exist
        if not self.cache.outputs:
            # Nothing to carry over (a cold build): the keys are only recorded, so the
            # workers work them out in parallel instead of the parent one by one.
            for article in site.articles:
                lazy = partial(self._article_key, base, adapter, article)
                yield lazy, adapter, article_renderer(adapter, article, site), article.slug
            return
        plan = self.plans[adapter.name]
        readers: dict[str, list[str]] = {}
        for article in site.articles:
            reads = adapter.article_reads(article, site)
            for listed in reads.articles:
                readers.setdefault(listed.slug, []).append(article.slug)
            key = fingerprint(base, article.fingerprint, *reads_key(reads))
            if plan is not None:
                plan.article_keys[article.slug] = key
            if not self._reuse(key, adapter):
                yield key, adapter, article_renderer(adapter, article, site), article.slug
        if plan is not None:
            plan.readers = readers

    def _article_key(self, base: str, adapter: AnyChannel, article: Article) -> str:
        reads = adapter.article_reads(article, self.site)
        return fingerprint(base, article.fingerprint, *reads_key(reads))

    def _site_work(self, adapter: AnyChannel, base: str) -> Iterator[Work]:
        for item in site_pieces(adapter, self.site):
            if isinstance(item, OutputFile):
                rel, checksum = self.staged.add(item.path, item.content)
                self._owned(adapter.name, rel, checksum)
                continue
            if isinstance(item, Page):
                key = fingerprint(base, "page", *reads_key(item.reads))
                plan = self.plans[adapter.name]
                if plan is not None:
                    plan.pages.append(Planned(key, item))
            else:  # a deprecated `Deferred`, keyed by the channel: no plan to keep
                key = fingerprint(base, "deferred", item.key)
                self.plans[adapter.name] = None
            if not self._reuse(key, adapter):
                yield key, adapter, piece_renderer(item), None

    def _owned(self, channel: str, rel: str, checksum: str) -> None:
        self.owners[rel] = channel
        self._files[channel][rel] = checksum

    def _reuse(self, key: str, adapter: AnyChannel) -> bool:
        files = self.cache.outputs.get(key)
        if files is None or key in self.used:
            return False
        done: list[tuple[str, str]] = []
        for path, checksum in files:
            if not self.staged.reuse(path, checksum):
                for undo, _ in done:  # partially carried over: render it all again
                    self.staged.forget(undo)
                return False
            done.append((path, checksum))
        self.outputs[key] = files
        self.used.add(key)
        for path, checksum in files:
            self._owned(adapter.name, path, checksum)
        self.reused += 1
        return True

    def _render(self, work: list[Work], advance: Advance,
                meanwhile: Callable[[], None] = lambda: None) -> None:  # fmt: skip
        """Render `work`, running `meanwhile` in this process once the workers started."""
        global _JOB
        _JOB = _Job(self.staged, work)
        try:
            for index, (key, placed) in self._results(len(work), advance, meanwhile):
                _, adapter, _, slug = work[index]
                for rel, checksum, written in placed:
                    self.staged.record(rel, checksum, written)
                    self._owned(adapter.name, rel, checksum)
                self.outputs[key] = tuple((rel, checksum) for rel, checksum, _ in placed)
                self.used.add(key)
                plan = self.plans.get(adapter.name)
                if slug is not None and plan is not None:
                    plan.article_keys[slug] = key
        finally:
            _JOB = None

    def _results(self, count: int, advance: Advance,
                 meanwhile: Callable[[], None]) -> Iterator[Result]:  # fmt: skip
        workers = worker_count()
        if count < PARALLEL_THRESHOLD or workers == 1:
            meanwhile()
            for index in range(count):
                yield index, _render_one(index)
                advance(1)
            return
        size = max(8, min(256, count // (workers * 8)))
        # Strided, not consecutive: pieces of one kind sit together in the work list
        # (all of a feed's archive pages, say), and a chunk of only heavy pieces would
        # leave the other workers idle at the end.
        stride = -(-count // size)
        chunks = [list(range(first, count, stride)) for first in range(stride)]
        with fork_pool(workers) as pool:
            pending = pool.map(_render_chunk, chunks)  # workers forked, chunks handed out
            meanwhile()
            for indices, results in zip(chunks, pending, strict=True):
                yield from zip(indices, results, strict=True)
                advance(len(results))
