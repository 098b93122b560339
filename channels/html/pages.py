"""Page contexts and rendering: what each page says about itself (head) and shows (body).

One `Renderer` per publish; templates are compiled once per language, because the
gettext callables are installed into the Jinja environment rather than passed per page.
What many pages share (the masthead and footer, feed links, an article's breadcrumb) is
rendered once per distinct input, like Hugo's partialCached: escaping those values again
on every page was a third of an article page's template time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from jinja2 import Environment, Template
from markupsafe import Markup

from syndicate import urls
from syndicate.channel import Listed
from syndicate.clock import moment
from syndicate.model import Article, Crumb, RelatedArticle, Section, Site, SiteInfo
from syndicate.qr import qr_svg
from syndicate.templating import Templates

from .front import LEAD_WINDOW, FrontPage
from .i18n import Dates, byline, og_locale, translations
from .images import Images, Picture
from .links import Links, root_prefix, safe_external
from .pagination import Page
from .settings import HtmlSettings

_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")
# What json.dumps(ensure_ascii=False, separators=...) builds on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
PARTIALS = "html/partials/"  # templates rendered once per distinct input, not per page

T = TypeVar("T")


@dataclass(frozen=True)
class FeedLink:
    type: str
    href: str
    title: str


@dataclass(frozen=True)
class Head:
    """Everything in <head> that differs between pages."""

    title: str
    canonical: str
    description: str = ""
    og: Sequence[tuple[str, str]] = ()
    twitter: Sequence[tuple[str, str]] = ()
    feeds: Sequence[FeedLink] = ()
    feed_links: str = ""  # `feeds` as <link> elements: Markup from a shared partial
    json_ld: Sequence[Markup] = ()
    robots: str | None = None


@dataclass(frozen=True)
class NavItem:
    title: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Teaser:
    """An article in a list, with its date already formatted (lists repeat articles)."""

    title: str
    path: str  # site path, e.g. "finance/slug/"
    iso: str
    date: str
    summary: str
    lang: str | None  # set when the article's language differs from the page's
    picture: Picture | None = None  # its lead image, shown as a thumbnail
    alt: str = ""


@dataclass(frozen=True)
class Block:
    """A titled list of articles on the home page."""

    title: str
    href: str | None
    articles: Sequence[Teaser]


def json_ld(data: Mapping[str, Any]) -> Markup:
    """JSON for a <script> element: '<', '>' and '&' escaped so no text can close it."""
    text = _JSON.encode(data)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def based_on(article: Article) -> str | None:
    """The original of a syndicated story (front matter `canonical:`, written by `ingest`
    for `canonical: source`): the page's rel=canonical and JSON-LD isBasedOn."""
    value = article.matter.canonical if article.matter else None
    return safe_external(value) if value else None


def related_language(site: Site, item: RelatedArticle) -> str | None:
    """A related article's language, for its lang attribute (one dict lookup)."""
    found = site.by_slug.get(item.slug)
    return (found.language or site.info.language) if found is not None else None


def prepare_body(body_html: str) -> str:
    """Fit the (already sanitised) body into the page.

    Headings shift down a level when the body has an h1, as the headline is the page's
    only h1; an image without alt text gets an empty one (decorative) so the page stays
    valid, rather than being announced by its file name.
    """
    if "<h1" in body_html:
        body_html = _HEADING_TAG.sub(
            lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", body_html
        )
    if "<img" in body_html:
        body_html = _IMG_WITHOUT_ALT.sub('<img alt=""', body_html)
    return body_html


@dataclass
class Renderer:
    templates: Templates
    info: SiteInfo
    settings: HtmlSettings
    stylesheet: str  # site path of the stylesheet
    images: Images | None = None
    _envs: dict[str, Environment] = field(default_factory=dict)
    _teasers: dict[tuple[Any, ...], Teaser] = field(default_factory=dict)
    _compiled: dict[tuple[str, str], Template] = field(default_factory=dict)
    _site: Site | None = None  # the site `_shared` holds values for
    _shared: dict[Hashable, Any] = field(default_factory=dict)

    def template(self, language: str, name: str) -> Template:
        """Looked up once: get_template would stat the file on every page."""
        found = self._compiled.get((language, name))
        if found is None:
            found = self._compiled[(language, name)] = self.env(language).get_template(name)
        return found

    def env(self, language: str) -> Environment:
        """A Jinja environment with this language's catalogue, compiled once."""
        env = self._envs.get(language) or self.templates.overlays.get(language)
        if env is None:
            # Plain gettext as a global (no i18n extension): one direct call per label,
            # which keeps a 10,000-article publish fast. Babel's Jinja extractor still
            # finds every _() call in the templates.
            env = self.templates.env.overlay(cache_size=100)
            catalogue = translations(language)
            env.globals = {
                **self.templates.env.globals,
                "_": catalogue.gettext,
                "gettext": catalogue.gettext,
                "ngettext": catalogue.ngettext,
            }
            self.templates.overlays[language] = env
        self._envs[language] = env
        return env

    # --- shared pieces -------------------------------------------------------------

    def shared(self, site: Site, key: Hashable, make: Callable[[], T]) -> T:
        """`make()`, once per site and key: `key` must name every input besides the site.

        Kept per site object (the model is immutable), so a rebuilt site under `syndicate
        serve` never sees values from the previous one.
        """
        if self._site is not site:
            self._site, self._shared = site, {}
        try:
            found: T = self._shared[key]
        except KeyError:
            found = self._shared[key] = make()
        return found

    def partial(self, language: str, name: str, **context: Any) -> Markup:
        """html/partials/<name>.html, without its file's final newline, so a template can
        put `{{ masthead }}` on a line of its own. A site may override partials too."""
        text = self.template(language, f"{PARTIALS}{name}.html").render(context)
        return Markup(text.removesuffix("\n"))

    def teaser(
        self, item: Listed | RelatedArticle, language: str, item_language: str | None = None
    ) -> Teaser:
        """Cached per article and language: one article shows up on many list pages."""
        picture = None
        alt = ""
        if not isinstance(item, RelatedArticle):  # an article, or a list's view of one
            item_language = item.language or self.info.language
            picture = self.picture(item)
            alt = item.image.alt if item.image else ""
        key: tuple[Any, ...] = (item.url, language, item_language, item.title, item.published)
        key = (*key, item.summary, picture, alt)
        found = self._teasers.get(key)
        if found is None:
            path = item.url.removeprefix(self.info.base_url)
            date = Dates(language, self.info.timezone).date(item.published)
            lang = item_language if item_language and item_language != language else None
            found = Teaser(
                item.title, path, _iso(item.published), date, item.summary, lang, picture, alt
            )
            self._teasers[key] = found
        return found

    def picture(self, article: Listed) -> Picture | None:
        return self.images.picture(article) if self.images is not None else None

    def teasers(self, items: Sequence[Listed], language: str) -> list[Teaser]:
        return [self.teaser(item, language) for item in items]

    def _common(self, site: Site, language: str, links: Links, current: str = "") -> dict[str, Any]:
        nav = self.shared(
            site,
            ("nav", language, links.root, current),
            lambda: _nav(site, links, current, language),
        )
        masthead, footer = self.shared(
            site,
            ("chrome", language, links.root, current),
            lambda: (
                self.partial(
                    language, "masthead", site=self.info, lang=language, links=links, nav=nav
                ),
                self.partial(language, "footer", site=self.info, lang=language, links=links),
            ),
        )
        return {
            "site": self.info,
            "lang": language,
            "links": links,
            "nav": nav,
            "masthead": masthead,
            "footer": footer,
            "stylesheet": links.to(self.stylesheet),
            "dates": Dates(language, self.info.timezone),
            "iso": _iso,
        }

    def _head_feeds(
        self,
        site: Site,
        language: str,
        section: Section | None,
        tag: str | None,
        author: str | None = None,
    ) -> tuple[tuple[FeedLink, ...], Markup]:
        """A page's feeds and their <link> elements: the same for a whole section or tag."""
        path = section.path if section is not None else ""

        def make() -> tuple[tuple[FeedLink, ...], Markup]:
            feeds = tuple(self._feeds(language, section, tag, author))
            return feeds, self.partial(language, "feed_links", feeds=feeds)

        return self.shared(site, ("feeds", language, path, tag, author), make)

    def _feeds(
        self, language: str, section: Section | None, tag: str | None, author: str | None = None
    ) -> list[FeedLink]:
        _ = translations(language).gettext
        name = self.info.title
        # (where a feed of each format is, what its link is called), one set per scope
        scopes: list[tuple[Callable[[urls.FeedFormat], str], str]] = [(urls.site_feed, name)]
        if section is not None and section.path:
            scopes.append((partial(urls.section_feed, section), f"{name}: {section.title}"))
        if tag is not None:
            scopes.append((partial(urls.tag_feed, tag), f"{name}: {_('Tag')} {tag}"))
        if author is not None:
            scopes.append((partial(urls.author_feed, author), f"{name}: {author}"))
        return [
            FeedLink(
                urls.FEED_TYPES[fmt],
                self.info.absolute(path_of(fmt)),
                f"{title} ({_FEED_NAMES[fmt]})",
            )
            for path_of, title in scopes
            for fmt in FORMATS
        ]

    def _social(
        self, kind: str, title: str, description: str, url: str, language: str
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        og = [("og:type", kind), ("og:title", title), ("og:url", url)]
        og.append(("og:site_name", self.info.title))
        if description:
            og.append(("og:description", description))
        locale = og_locale(language)
        if locale:
            og.append(("og:locale", locale))
        twitter = [("twitter:card", "summary"), ("twitter:title", title)]
        if description:
            twitter.append(("twitter:description", description))
        return og, twitter

    def _breadcrumb_ld(self, items: Sequence[tuple[str, str]]) -> Markup:
        return json_ld(
            {
                "@context": "https://schema.org",
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": i, "name": name, "item": url}
                    for i, (name, url) in enumerate(items, start=1)
                ],
            }
        )

    # --- pages ---------------------------------------------------------------------

    def article(self, article: Article, site: Site) -> str:
        language = article.language or self.info.language
        path = urls.article_page(article)
        links = Links(self.info.base_url, root_prefix(path))
        _ = translations(language).gettext
        image = article.image
        picture = self.picture(article)
        image_abs = None
        if picture is not None:
            image_abs = picture.src if picture.external else self.info.absolute(picture.src)
        og, twitter = self._social("article", article.title, article.summary, article.url, language)
        stamps = (_iso(article.published), _iso(article.modified))  # for og and JSON-LD
        og.append(("article:published_time", stamps[0]))
        og.append(("article:modified_time", stamps[1]))
        section = site.sections.get(article.section)
        if section is not None and section.path:
            og.append(("article:section", section.title_in(language)))
        og.extend(("article:tag", tag) for tag in article.tags)
        if image is not None and image_abs:
            og.append(("og:image", image_abs))
            if picture is not None and picture.width and picture.height:
                og.append(("og:image:width", str(picture.width)))
                og.append(("og:image:height", str(picture.height)))
            if image.alt:
                og.append(("og:image:alt", image.alt))
            twitter[0] = ("twitter:card", "summary_large_image")
            twitter.append(("twitter:image", image_abs))
            if image.alt:
                twitter.append(("twitter:image:alt", image.alt))
        feeds, feed_links = self._head_feeds(site, language, section, None)
        original = based_on(article)
        crumbs = self.shared(
            site,
            ("crumbs", language, article.breadcrumb),
            lambda: _localized(site, article.breadcrumb, language),
        )
        head = Head(
            title=f"{article.title} | {self.info.title}",
            canonical=original or article.url,
            description=article.summary,
            og=og,
            twitter=twitter,
            feeds=feeds,
            feed_links=feed_links,
            json_ld=(
                self._news_article_ld(article, section, image_abs, stamps),
                self._breadcrumb_ld(
                    [(c.title, c.url) for c in crumbs] + [(article.title, article.url)]
                ),
            ),
        )
        newer, older = site.neighbours(article)
        source = article.source
        qr = None
        if self.settings.qr_code:
            qr = Markup(qr_svg(article.url, title=_("Scan to read on your phone")))
        context = self._common(site, language, links, article.section)
        dates = Dates(language, self.info.timezone)
        context.update(
            head=head,
            article=article,
            breadcrumb_nav=self.shared(
                site,
                ("breadcrumb", language, links.root, article.breadcrumb),
                lambda: self._macros(language).breadcrumb(crumbs, links),
            ),
            # Handed in, not imported: Jinja's import compares the two templates' globals
            # through a ChainMap, ~15 us a page.
            teasers=self._macros(language).teasers,
            picture_tag=self._macros(language).picture_tag,
            body=Markup(prepare_body(article.body_html)),
            byline=_linked_byline(article.authors, links, language),
            minutes=reading_minutes(article.word_count, language),
            source_url=safe_external(source.url) if source else None,
            picture=picture,
            image_alt=image.alt if image else "",
            tags=[(tag, links.to(urls.tag_dir(tag))) for tag in article.tags],
            older=self.teaser(older, language) if older else None,
            newer=self.teaser(newer, language) if newer else None,
            related=[self.teaser(r, language, related_language(site, r)) for r in article.related],
            published=dates.datetime(article.published),
            updated=dates.datetime(article.updated) if article.updated else None,
            corrections=[
                (dates.date(when), when.date().isoformat(), c.text)
                for c in article.corrections
                for when in [moment(c.date, self.info.timezone)]
            ],
            qr=qr,
        )
        return self.template(language, "html/article.html").render(context)

    def _macros(self, language: str) -> Any:
        """html/macros.html's macros, callable from Python (they return Markup)."""
        return self.template(language, "html/macros.html").module

    def _news_article_ld(
        self, article: Article, section: Section | None, image: str | None, stamps: tuple[str, str]
    ) -> Markup:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "url": article.url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": article.url},
            "datePublished": stamps[0],
            "dateModified": stamps[1],
            "inLanguage": article.language or self.info.language,
            "wordCount": article.word_count,
            "publisher": {
                "@type": "Organization",
                "name": self.info.title,
                "url": self.info.base_url,
            },
        }
        if article.summary:
            data["description"] = article.summary
        if article.authors:
            data["author"] = [{"@type": "Person", "name": a} for a in article.authors]
        if image:
            data["image"] = [image]
        if section is not None and section.path:
            data["articleSection"] = section.title_in(article.language or self.info.language)
        if article.tags:
            data["keywords"] = list(article.tags)
        if article.source is not None:
            org: dict[str, Any] = {"@type": "Organization", "name": article.source.name}
            source_url = safe_external(article.source.url)
            if source_url:
                org["url"] = source_url
            data["sourceOrganization"] = org
        original = based_on(article)
        if original:
            data["isBasedOn"] = original
        return json_ld(data)

    def listing(
        self,
        site: Site,
        page: Page[Listed],
        *,
        section: Section | None = None,
        tag: str | None = None,
        author: str | None = None,
    ) -> str:
        """A section, tag or author page: newest first, paginated, with links to
        subsections; page 1 opens with its newest story as the lead."""
        language = self.info.language
        _ = translations(language).gettext
        links = Links(self.info.base_url, root_prefix(page.path))
        url = self.info.absolute(urls.directory_url(page.path))
        if section is not None:
            heading = section.title_in(language)
            description = section.description
            trail = _localized(site, section.breadcrumb, language)
            crumbs = [(c.title, c.url) for c in trail]
            parents = trail[:-1]
        else:
            if author is not None:
                heading, where = author, urls.author_dir(author)
            else:
                heading, where = _("Tag: %(tag)s") % {"tag": tag}, urls.tag_dir(tag or "")
            description = ""
            root = site.sections.get("")
            home = root.title_in(language) if root is not None else self.info.title
            crumbs = [(home, self.info.base_url), (heading, self.info.absolute(where))]
            parents = _localized(site, root.breadcrumb, language) if root is not None else ()
        title = heading
        if page.number > 1:
            title = _("%(title)s, page %(page)s") % {"title": heading, "page": page.number}
        scope = (section, tag, author)
        head = self._list_head(site, language, title, description, url, crumbs, scope)
        lead = None
        if page.number == 1 and page.items:
            window = page.items[:LEAD_WINDOW]
            has_image = self.images.has_picture if self.images else lambda a: False
            lead = next((a for a in window if has_image(a)), page.items[0])
        children = []
        if section is not None:
            children = [
                (site.sections[p].title_in(language), site.sections[p].url)
                for p in section.children
                if p in site.sections
            ]
        context = self._common(site, language, links, section.path if section else "")
        context.update(
            head=head,
            heading=heading,
            description=description,
            parents=parents,
            children=children,
            page=page,
            # `items` stays the whole page, for sites' own list templates.
            items=self.teasers(page.items, language),
            lead=self.teaser(lead, language) if lead is not None else None,
            rest=self.teasers([a for a in page.items if a is not lead], language),
            author=author,
            author_dir=urls.author_dir(author) if author else "",
            newer_href=links.to(urls.directory_url(page.newer)) if page.newer else None,
            older_href=links.to(urls.directory_url(page.older)) if page.older else None,
        )
        return self.template(language, "html/list.html").render(context)

    def _list_head(
        self,
        site: Site,
        language: str,
        title: str,
        description: str,
        url: str,
        crumbs: Sequence[tuple[str, str]],
        scope: tuple[Section | None, str | None, str | None],  # section, tag, author
    ) -> Head:
        """<head> of a page listing stories: a website, with its scope's feeds."""
        og, twitter = self._social("website", title, description, url, language)
        feeds, feed_links = self._head_feeds(site, language, *scope)
        return Head(
            title=f"{title} | {self.info.title}",
            canonical=url,
            description=description,
            og=og,
            twitter=twitter,
            feeds=feeds,
            feed_links=feed_links,
            json_ld=(self._breadcrumb_ld(crumbs),),
        )

    def home(self, site: Site, front: FrontPage[Listed]) -> str:
        language = self.info.language
        _ = translations(language).gettext
        path = urls.section_page("")
        links = Links(self.info.base_url, "")
        root = site.sections.get("")
        title = root.title_in(language) if root is not None else self.info.title
        description = (root.description if root is not None else "") or self.info.description
        blocks = [Block(_("Latest news"), None, self.teasers(front.latest, language))]
        for child, stories in front.sections:
            section = site.sections[child]
            blocks.append(
                Block(
                    section.title_in(language),
                    links.to(child + "/"),
                    self.teasers(stories, language),
                )
            )
        lead = self.teaser(front.lead, language) if front.lead else None
        og, twitter = self._social("website", title, description, self.info.base_url, language)
        website = json_ld(
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": self.info.title,
                "url": self.info.base_url,
                "inLanguage": language,
            }
        )
        feeds, feed_links = self._head_feeds(site, language, None, None)
        head = Head(
            title=title if title == self.info.title else f"{title} | {self.info.title}",
            canonical=self.info.base_url,
            description=description,
            og=og,
            twitter=twitter,
            feeds=feeds,
            feed_links=feed_links,
            json_ld=(website,),
        )
        context = self._common(site, language, links)
        context.update(head=head, heading=title, lead=lead, blocks=blocks, path=path)
        return self.template(language, "html/home.html").render(context)

    def tags_index(self, site: Site, tags: Sequence[tuple[str, int]]) -> str:
        """/tags/: every tag with how many stories carry it, by name."""
        language = self.info.language
        _ = translations(language).gettext
        links = Links(self.info.base_url, root_prefix(urls.TAGS_INDEX))
        title = _("Tags")
        url = self.info.absolute(urls.directory_url(urls.TAGS_INDEX))
        root = site.sections.get("")
        home = root.title_in(language) if root is not None else self.info.title
        crumbs = [(home, self.info.base_url), (title, url)]
        head = self._list_head(site, language, title, "", url, crumbs, (None, None, None))
        context = self._common(site, language, links)
        context.update(
            head=head,
            heading=title,
            parents=_localized(site, root.breadcrumb, language) if root is not None else (),
            tags=[(name, links.to(urls.tag_dir(name)), count) for name, count in tags],
        )
        return self.template(language, "html/tags.html").render(context)

    def not_found(self, site: Site, latest: Sequence[Listed]) -> str:
        """404.html is served at any URL, so its links are root-relative, not relative."""
        language = self.info.language
        _ = translations(language).gettext
        base_path = "/" + self.info.base_url.split("://", 1)[1].partition("/")[2]
        links = Links(self.info.base_url, base_path)
        title = _("Page not found")
        feeds, feed_links = self._head_feeds(site, language, None, None)
        head = Head(
            title=f"{title} | {self.info.title}",
            canonical=self.info.absolute("404.html"),
            feeds=feeds,
            feed_links=feed_links,
            robots="noindex",
        )
        context = self._common(site, language, links)
        context.update(head=head, heading=title, latest=self.teasers(latest, language))
        return self.template(language, "html/404.html").render(context)


FORMATS: tuple[urls.FeedFormat, ...] = ("atom", "rss", "json")
_FEED_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}


def _linked_byline(authors: Sequence[str], links: Links, language: str) -> Markup:
    """ "Li Wei and Zhang Min", each name linking to the author's page."""
    tags = Markup('<a href="{}" rel="author">{}</a>')
    names = tuple(str(tags.format(links.to(urls.author_dir(a)), a)) for a in authors)
    return Markup(byline(names, language))


def reading_minutes(words: int, language: str) -> int:
    """Minutes to read: 230 words a minute, or 400 characters for Chinese and Japanese
    (count_words counts each CJK character as a word)."""
    rate = 400 if language.lower().split("-")[0] in ("zh", "ja") else 230
    return max(1, round(words / rate))


def _localized(site: Site, crumbs: Sequence[Crumb], language: str) -> tuple[Crumb, ...]:
    """A breadcrumb with each section's title in the page's language."""
    found = []
    for crumb in crumbs:
        section = site.sections.get(crumb.section)
        title = section.title_in(language) if section is not None else crumb.title
        found.append(Crumb(title, crumb.section, crumb.url))
    return tuple(found)


def _nav(site: Site, links: Links, current: str, language: str) -> tuple[NavItem, ...]:
    """The top-level sections, the one holding `current` (a section path) marked."""
    root = site.sections.get("")
    if root is None:
        return ()
    return tuple(
        NavItem(
            site.sections[path].title_in(language),
            links.to(path + "/"),
            current == path or current.startswith(path + "/"),
        )
        for path in root.children
    )


def _iso(value: Any) -> str:
    return str(value.isoformat())
