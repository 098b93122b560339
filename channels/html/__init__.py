"""Mobile-friendly HTML: article, section, tag, home and 404 pages, sitemaps, robots.txt.

Pages link to each other with relative URLs so the output works at any base URL and in
`syndicate serve`; canonical, Open Graph and JSON-LD URLs are absolute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial

import click

from syndicate import urls
from syndicate.channel import Channel, ChannelContext, Deferred, OutputFile
from syndicate.digests import fingerprint
from syndicate.model import Article, Section, Site
from syndicate.slug import tag_slug

from .assets import stylesheet
from .front import front_page
from .images import Images
from .pages import Renderer, based_on, related_language
from .pagination import Page, paginate
from .settings import HtmlSettings
from .sitemaps import NEWS_SITEMAP, SITEMAP, Entry, news_sitemap, robots_txt, sitemaps

__all__ = ["HtmlChannel", "HtmlSettings"]


def _listed(articles: Iterable[Article], images: Images) -> list[tuple[str, object]]:
    """What a list page's key must cover of each article it shows.

    The article's fingerprint covers more than a list shows (its body, say), so a body
    edit re-renders the few list pages showing it; their bytes come out the same and
    are not rewritten. That costs less than hashing the shown fields of every listed
    article on every publish. A thumbnail's file may change under the same name, so its
    picture (sizes and digest) is part of the key too.
    """
    return [(a.fingerprint, images.key(a)) for a in articles]


class HtmlChannel(Channel[HtmlSettings]):
    name = "html"
    summary = "mobile-friendly article, section, tag and home pages; sitemaps; robots.txt"
    enabled_by_default = True

    def __init__(self, settings: HtmlSettings, context: ChannelContext) -> None:
        super().__init__(settings, context)
        self._stylesheet = stylesheet(context.templates.env)
        config = context.config
        self.images = Images(
            config.static_dir,
            config.content_dir,
            config.cache_dir,
            settings.image_widths,
            settings.image_quality,
        )
        self.renderer = Renderer(
            context.templates, config.site, settings, self._stylesheet[0], self.images
        )
        self._site_keys: tuple[Site, str] | None = None

    def _site_key_of(self, site: Site) -> str:
        """`_site_key`, once per site object (a pure memo)."""
        if self._site_keys is None or self._site_keys[0] is not site:
            self._site_keys = (site, self._site_key(site))
        return self._site_keys[1]

    def _site_key(self, site: Site) -> str:
        """What every page shows of the site: its facts, the section menu, the stylesheet."""
        info = site.info
        root = site.sections.get("")
        children = root.children if root else ()
        menu = [(p, site.sections[p].title, site.sections[p].titles) for p in children]
        return fingerprint(
            info.title,
            info.base_url,
            info.language,
            str(info.timezone),
            info.description,
            (root.title, root.titles) if root else "",
            menu,
            self._stylesheet[0],
        )

    def article_key(self, article: Article, site: Site) -> str:
        self.images.bind(site)
        site_key = self._site_key_of(site)
        newer, older = site.neighbours(article)
        trail = [site.sections.get(c.section) for c in article.breadcrumb]
        return fingerprint(
            site_key,
            [(s.title, s.titles) for s in trail if s is not None],
            _listed((n for n in (older, newer) if n is not None), self.images),
            older is None,
            [related_language(site, r) for r in article.related],
            self.images.key(article),
        )

    def render_article(self, article: Article, site: Site) -> Iterable[OutputFile]:
        self.images.bind(site)
        html = self.renderer.article(article, site)
        yield OutputFile.text(urls.article_page(article), html)

    def render_site(self, site: Site) -> Iterable[OutputFile | Deferred]:
        site_key = self._site_key_of(site)
        renderer = self.renderer
        info = site.info
        count = self.settings.home_per_section
        yield OutputFile(*self._stylesheet)

        images = self.images
        images.bind(site)
        yield from images.outputs(site.articles)
        root = site.sections.get("")
        front = front_page(site, count, images.has_picture)
        plan = (
            _listed([front.lead] if front.lead else [], images),
            _listed(front.latest, images),
            [(path, _listed(stories, images)) for path, stories in front.sections],
        )
        yield Deferred(
            fingerprint("home", site_key, root.description if root else "", plan),
            lambda: [OutputFile.text(urls.section_page(""), renderer.home(site, front))],
        )
        yield Deferred(
            fingerprint("404", site_key, _listed(site.articles[:5], images)),
            lambda: [OutputFile.text("404.html", renderer.not_found(site))],
        )
        tags = _tags_by_slug(site)
        tag_counts = [(tag, len(tagged)) for tag, tagged in tags.items()]
        tag_counts.sort(key=lambda pair: (pair[0].casefold(), pair[0]))
        yield Deferred(
            fingerprint("tags", site_key, tag_counts),
            lambda: [OutputFile.text(urls.TAGS_INDEX, renderer.tags_index(site, tag_counts))],
        )

        # Each article's last change as a timestamp, once: comparing aware datetimes asks
        # both time zones every time, and an article is in several lists.
        changed = {a.slug: a.modified.timestamp() for a in site.articles}
        newest = partial(_newest, changed)
        entries = [Entry(info.base_url, newest(site.articles))]
        if tag_counts:
            entries.append(
                Entry(info.absolute("tags/"), newest(a for a in site.articles if a.tags))
            )
        for path in sorted(site.sections):
            if not path:
                continue
            section = site.sections[path]
            items = site.in_section(path)
            yield from self._pages(site, site_key, items, section, None)
            entries.append(Entry(section.url, newest(items)))
        for tag, tagged in tags.items():
            yield from self._pages(site, site_key, tagged, None, tag)
            entries.append(Entry(info.absolute(urls.tag_dir(tag)), newest(tagged)))
        for name, written in site.by_author().values():
            yield from self._pages(site, site_key, written, None, None, name)
            entries.append(Entry(info.absolute(urls.author_dir(name)), newest(written)))

        # A syndicated story whose canonical is the original is not ours to list.
        own = [a for a in site.articles if based_on(a) is None]
        entries.extend(Entry(a.url, a.modified) for a in own)
        for name, text in sitemaps(info, entries):
            yield OutputFile.text(name, text)
        yield OutputFile.text(NEWS_SITEMAP, news_sitemap(info, own))
        yield OutputFile.text("robots.txt", robots_txt(info, [SITEMAP, NEWS_SITEMAP]))
        images.save()

    def _pages(
        self,
        site: Site,
        site_key: str,
        items: Sequence[Article],
        section: Section | None,
        tag: str | None,
        author: str | None = None,
    ) -> Iterable[Deferred]:
        """One deferred render per list page, keyed by exactly what the page shows."""
        if section is not None:
            path_of: Callable[[int], str] = lambda n: urls.section_page(section, n)  # noqa: E731
            children = [
                (c, site.sections[c].title, site.sections[c].titles) for c in section.children
            ]
            trail = [site.sections[c.section].titles for c in section.breadcrumb]
            about = (section.path, section.title, section.description, section.breadcrumb, trail)
            context: object = (about, children)
        elif author is not None:
            path_of = lambda n: urls.author_page(author, n)  # noqa: E731
            context = ("author", author)
        else:
            path_of = lambda n: urls.tag_page(tag or "", n)  # noqa: E731
            context = tag
        renderer, images = self.renderer, self.images
        for page in paginate(items, self.settings.per_page, path_of):
            key = fingerprint(
                "list", site_key, context, page.number, page.count, _listed(page.items, images)
            )
            yield Deferred(key, _bind(renderer, site, page, section, tag, author))

    @classmethod
    def commands(cls) -> Iterable[click.Command]:
        from .serve import serve

        return (serve,)


def _bind(
    renderer: Renderer,
    site: Site,
    page: Page[Article],
    section: Section | None,
    tag: str | None,
    author: str | None,
) -> Callable[[], Iterable[OutputFile]]:
    return lambda: [
        OutputFile.text(
            page.path, renderer.listing(site, page, section=section, tag=tag, author=author)
        )
    ]


def _newest(changed: Mapping[str, float], articles: Iterable[Article]) -> datetime | None:
    newest = max(articles, key=lambda a: changed[a.slug], default=None)
    return newest.modified if newest else None


def _tags_by_slug(site: Site) -> dict[str, tuple[Article, ...]]:
    """One page per tag URL: "AI" and "ai" share tags/ai/, named after the first seen."""
    merged: dict[str, tuple[str, list[Article]]] = {}
    for tag, tagged in site.by_tag.items():
        slug = tag_slug(tag)
        if slug in merged:
            merged[slug][1].extend(tagged)
        else:
            merged[slug] = (tag, list(tagged))
    result = {}
    order: dict[str, int] | None = None
    for name, found in merged.values():
        if len(found) == len(site.by_tag[name]):  # one spelling: already newest first
            result[name] = tuple(found)
            continue
        # Spellings merged: back into site order (newest first), each article once.
        order = order or {a.slug: n for n, a in enumerate(site.articles)}
        unique = {a.slug: a for a in found}.values()
        result[name] = tuple(sorted(unique, key=lambda a: order[a.slug]))
    return result
