"""Which feeds a site has: the site feed, one per section, one per tag, one per author.

Paths come from `syndicate.urls`, so HTML pages can link the same files. Feed ids are
tag: URIs under the site's id authority (`...:feed`, `...:section/finance`,
`...:tag/ai`, `...:author/li-wei`), fixed for as long as the path or slug is.
"""

from __future__ import annotations

from dataclasses import dataclass

from syndicate import urls
from syndicate.model import Article, Site, SiteInfo
from syndicate.slug import tag_slug
from syndicate.urls import FeedFormat


@dataclass(frozen=True)
class FeedSpec:
    key: str  # "", "section/<path>", "tag/<slug>" or "author/<slug>"
    title: str
    description: str
    home_url: str  # the HTML page the feed belongs to (alternate link)
    paths: dict[FeedFormat, str]
    articles: tuple[Article, ...]  # newest first, all of them (the writer takes the window)

    def feed_id(self, info: SiteInfo) -> str:
        return f"tag:{info.id_authority},{info.id_date}:feed" + (f"/{self.key}" if self.key else "")

    def url(self, info: SiteInfo, fmt: FeedFormat) -> str:
        return info.absolute(self.paths[fmt])


def plan_feeds(
    site: Site, *, sections: bool = True, tags: bool = True, authors: bool = True
) -> list[FeedSpec]:
    """Every feed of the site in a stable order: site, sections by path, tags and authors
    by slug."""
    info = site.info
    home = site.sections.get("")
    specs = [
        FeedSpec(
            "",
            info.title,
            (home.description if home else "") or info.description or info.title,
            info.base_url,
            {fmt: urls.site_feed(fmt) for fmt in urls.FEED_FILES},
            site.articles,
        )
    ]
    if sections:
        for path in sorted(p for p in site.sections if p):
            section = site.sections[path]
            specs.append(
                FeedSpec(
                    f"section/{path}",
                    f"{section.title} | {info.title}",
                    section.description or f"{section.title}: the latest from {info.title}",
                    section.url,
                    {fmt: urls.section_feed(path, fmt) for fmt in urls.FEED_FILES},
                    site.in_section(path),
                )
            )
    if tags:
        specs.extend(_tag_feeds(site))
    if authors:
        for slug, (name, written) in site.by_author().items():
            specs.append(
                FeedSpec(
                    f"author/{slug}",
                    f"{name} | {info.title}",
                    f"Articles by {name} on {info.title}",
                    info.absolute(urls.author_dir(name)),
                    {fmt: urls.author_feed(name, fmt) for fmt in urls.FEED_FILES},
                    written,
                )
            )
    return specs


def _tag_feeds(site: Site) -> list[FeedSpec]:
    """Tags whose slugs collide ("AI" and "ai") share one page, so they share one feed."""
    info = site.info
    by_slug: dict[str, list[str]] = {}
    for tag in site.by_tag:
        by_slug.setdefault(tag_slug(tag), []).append(tag)
    specs = []
    for slug in sorted(by_slug):
        names = by_slug[slug]
        articles = _merge_newest_first([site.by_tag[name] for name in names])
        title = names[0]
        specs.append(
            FeedSpec(
                f"tag/{slug}",
                f"{title} | {info.title}",
                f"Articles tagged {title} on {info.title}",
                info.absolute(urls.directory_url(urls.tag_page(title))),
                {fmt: urls.tag_feed(title, fmt) for fmt in urls.FEED_FILES},
                articles,
            )
        )
    return specs


def _merge_newest_first(groups: list[tuple[Article, ...]]) -> tuple[Article, ...]:
    if len(groups) == 1:
        return groups[0]
    seen: dict[str, Article] = {}
    for group in groups:
        for article in group:
            seen.setdefault(article.slug, article)
    return tuple(sorted(seen.values(), key=lambda a: (a.published, a.slug), reverse=True))
