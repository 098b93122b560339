"""Mobile-friendly HTML: article, section, tag, home and 404 pages, sitemaps, robots.txt.

Pages link to each other with relative URLs so the output works at any base URL and in
`syndicate serve`; canonical, Open Graph and JSON-LD URLs are absolute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import click

from syndicate import urls
from syndicate.channel import Channel, ChannelContext, Listed, OutputFile, Page, Reads
from syndicate.model import Article, Section, Site
from syndicate.slug import tag_slug

from . import pagination, sitemaps
from .assets import stylesheet
from .front import front_page
from .images import Images
from .pages import Renderer, based_on, related_language
from .pagination import paginate
from .settings import HtmlSettings

__all__ = ["TEASER_FIELDS", "HtmlChannel", "HtmlSettings"]

# What a teaser (a story in a list, a previous/next link) shows of an article: its
# headline, link, date, summary, language and picture (found by `image`, beside the
# article's `source_file` or under its `path`). A body edit re-renders no list.
TEASER_FIELDS = ("title", "url", "path", "published", "summary", "language", "image",
                 "source_file")  # fmt: skip


class HtmlChannel(Channel[HtmlSettings]):
    name = "html"
    summary = "mobile-friendly article, section, tag and home pages; sitemaps; robots.txt"
    enabled_by_default = True
    # What `render_site` plans by (see `Channel.plan_fields`); every other field reaches
    # the output only through a Page's declared `Reads.fields`:
    # - published, slug: the order of every list (site order), the months of the
    #   sitemaps, the news sitemap's two days;
    # - section, tags, authors: which list pages exist and who is on them;
    # - image, source_file, path: the home page's lead (a story with a picture), the
    #   picture copies written (found beside the source file, copied under the path),
    #   the picture keys in the lists' parts;
    # - url (follows path): how many sitemap files a month needs (50 MB each);
    # - canonical: a syndicated story (based on another site's page) is in no sitemap;
    # - language: an article page shows its related stories' languages (`article_reads`
    #   takes them from the site, not from articles it lists).
    plan_fields = (
        "published", "slug", "section", "tags", "authors", "image", "source_file", "path",
        "url", "canonical", "language",
    )  # fmt: skip

    def __init__(self, settings: HtmlSettings, context: ChannelContext) -> None:
        super().__init__(settings, context)
        extra = tuple(name for name in settings.teaser_fields if name not in TEASER_FIELDS)
        self.teaser_fields = TEASER_FIELDS + extra
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
        self._site_parts: tuple[Site, tuple[object, ...]] | None = None

    def site_parts(self, site: Site) -> tuple[object, ...]:
        """What every page shows of the site: its facts, the home section's title, the
        section menu, the stylesheet. Made once per site object."""
        if self._site_parts is None or self._site_parts[0] is not site:
            info = site.info
            root = site.sections.get("")
            children = root.children if root else ()
            menu = tuple((p, site.sections[p].title, site.sections[p].titles) for p in children)
            parts = (
                info.title,
                info.base_url,
                info.language,
                str(info.timezone),
                info.description,
                (root.title, root.titles) if root else "",
                menu,
                self._stylesheet[0],
            )
            self._site_parts = (site, parts)
        return self._site_parts[1]

    def _pictures(self, articles: Iterable[Article]) -> tuple[object, ...]:
        """The pictures teasers show: a thumbnail's file may change under the same name."""
        key = self.images.key
        return tuple([key(a) for a in articles])

    def article_reads(self, article: Article, site: Site) -> Reads:
        """An article page shows its neighbours' teasers, its section trail's titles,
        its related stories' languages and its own picture."""
        images = self.images
        images.bind(site)
        newer, older = site.neighbours(article)
        if older is None:
            shown: tuple[Article, ...] = () if newer is None else (newer,)
        else:
            shown = (older,) if newer is None else (older, newer)
        sections = site.sections
        trail = [sections.get(c.section) for c in article.breadcrumb]
        related = article.related
        return Reads(
            shown,
            self.teaser_fields,
            (
                self.site_parts(site),
                tuple([(s.title, s.titles) for s in trail if s is not None]),
                older is None,
                newer is None,
                tuple([related_language(site, r) for r in related]) if related else (),
                images.key(article),
                self._pictures(shown),
            ),
        )

    def render_article(self, article: Article, site: Site) -> Iterable[OutputFile]:
        self.images.bind(site)
        html = self.renderer.article(article, site)
        yield OutputFile.text(urls.article_page(article), html)

    def render_site(self, site: Site) -> Iterable[OutputFile | Page]:
        site_parts = self.site_parts(site)
        renderer = self.renderer
        info = site.info
        count = self.settings.home_per_section
        yield OutputFile(*self._stylesheet)

        images = self.images
        images.bind(site)
        yield from images.outputs(site.articles)
        root = site.sections.get("")
        front = front_page(site, count, images.has_picture)
        shown = front.shown
        yield Page(
            Reads(
                articles=shown,
                fields=self.teaser_fields,
                parts=(
                    "home",
                    site_parts,
                    root.description if root else "",
                    front.layout,
                    self._pictures(shown),
                ),
            ),
            lambda listed: [
                OutputFile.text(urls.section_page(""), renderer.home(site, front.relaid(listed)))
            ],
            name=urls.section_page(""),
        )
        latest = site.articles[:5]
        yield Page(
            Reads(latest, self.teaser_fields, ("404", site_parts, self._pictures(latest))),
            lambda listed: [OutputFile.text("404.html", renderer.not_found(site, listed))],
            name="404.html",
        )
        tags = _tags_by_slug(site)
        tag_counts = [(tag, len(tagged)) for tag, tagged in tags.items()]
        tag_counts.sort(key=lambda pair: (pair[0].casefold(), pair[0]))
        yield Page(
            Reads(parts=("tags", site_parts, tag_counts)),
            lambda _: [OutputFile.text(urls.TAGS_INDEX, renderer.tags_index(site, tag_counts))],
            name=urls.TAGS_INDEX,
        )

        per_page = self.settings.per_page
        lists: list[tuple[str, Sequence[Article]]] = [(info.base_url, shown)]
        if tag_counts:  # the tags index: each tag's newest story
            lists.append((info.absolute(f"{urls.TAGS_DIR}/"), [t[0] for t in tags.values()]))
        for path in sorted(site.sections):
            if not path:
                continue
            section = site.sections[path]
            items = site.in_section(path)
            yield from self._pages(site, items, section, None)
            lists.append((section.url, items[:per_page]))
        for tag, tagged in tags.items():
            yield from self._pages(site, tagged, None, tag)
            lists.append((info.absolute(urls.tag_dir(tag)), tagged[:per_page]))
        for name, written in site.by_author().values():
            yield from self._pages(site, written, None, None, name)
            lists.append((info.absolute(urls.author_dir(name)), written[:per_page]))
        yield from self._sitemaps(site, lists)
        images.save()

    def _pages(
        self,
        site: Site,
        items: Sequence[Article],
        section: Section | None,
        tag: str | None,
        author: str | None = None,
    ) -> Iterable[Page]:
        """One page per list page, declaring exactly what it shows."""
        if section is not None:
            path_of: Callable[[int], str] = lambda n: urls.section_page(section, n)  # noqa: E731
            children = tuple(
                (c, site.sections[c].title, site.sections[c].titles) for c in section.children
            )
            trail = tuple(site.sections[c.section].titles for c in section.breadcrumb)
            crumbs = tuple((c.title, c.section, c.url) for c in section.breadcrumb)
            about = (section.path, section.title, section.description, crumbs, trail)
            context: object = (about, children)
        elif author is not None:
            path_of = lambda n: urls.author_page(author, n)  # noqa: E731
            context = ("author", author)
        else:
            path_of = lambda n: urls.tag_page(tag or "", n)  # noqa: E731
            context = tag
        site_parts = self.site_parts(site)
        for page in paginate(items, self.settings.per_page, path_of):
            parts = ("list", site_parts, context, page.number, page.count)
            yield Page(
                Reads(page.items, self.teaser_fields, (*parts, self._pictures(page.items))),
                _bind(self.renderer, site, page, section, tag, author),
                name=page.path,
            )

    def _sitemaps(
        self, site: Site, lists: Sequence[tuple[str, Sequence[Article]]]
    ) -> Iterable[OutputFile | Page]:
        """A sitemap per month of stories and one of the list pages, the index naming
        them, the news sitemap, and robots.txt (see `sitemaps`)."""
        info = site.info
        # A syndicated story whose canonical is the original is not ours to list.
        own = [a for a in site.articles if based_on(a) is None]
        files: list[tuple[str, Sequence[Article]]] = []
        for month, run in sitemaps.by_month(own, info.timezone):
            for name, part in sitemaps.month_parts(month, run):
                yield sitemaps.urlset_page(name, part)
                files.append((name, part))
        for name, entries in sitemaps.list_parts(lists):
            page = sitemaps.lists_page(name, entries)
            yield page
            files.append((name, page.reads.articles))
        yield sitemaps.index_page(info, files)
        yield sitemaps.news_page(info, sitemaps.news_stories(own))
        robots = sitemaps.robots_txt(info, [sitemaps.SITEMAP, sitemaps.NEWS_SITEMAP])
        yield OutputFile.text("robots.txt", robots)

    @classmethod
    def commands(cls) -> Iterable[click.Command]:
        from .serve import serve

        return (serve,)


def _bind(
    renderer: Renderer,
    site: Site,
    page: pagination.Page[Listed],
    section: Section | None,
    tag: str | None,
    author: str | None,
) -> Callable[[tuple[Listed, ...]], Iterable[OutputFile]]:
    def render(listed: tuple[Listed, ...]) -> list[OutputFile]:
        shown = replace(page, items=listed)  # the page's stories as it declared them
        html = renderer.listing(site, shown, section=section, tag=tag, author=author)
        return [OutputFile.text(page.path, html)]

    return render


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
