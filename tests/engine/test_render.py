"""The renderer plans per-article work only for channels that write per-article files."""

from __future__ import annotations

from collections.abc import Iterable

from conftest import SiteFactory

from syndicate.channel import Channel, ChannelContext, OutputFile
from syndicate.config import ChannelSettings
from syndicate.engine.cache import BuildCache
from syndicate.engine.render import Renderer
from syndicate.model import Article, Site
from syndicate.render import renders_articles
from syndicate.writer import StagedOutput


class IndexOnly(Channel[ChannelSettings]):
    name = "index-only"

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        yield OutputFile.text("index.txt", "\n".join(a.slug for a in site.articles))


class PerArticle(IndexOnly):
    name = "per-article"

    def render_article(self, article: Article, site: Site) -> Iterable[OutputFile]:
        yield OutputFile.text(f"{article.slug}.txt", article.title)


def test_only_channels_with_article_files_get_article_work(site: SiteFactory) -> None:
    for slug in ("one", "two", "three"):
        site.article("news", slug)
    built = site.build().site
    config = site.config()
    context = ChannelContext(config, None, site.root / "public", site.root / "state")  # type: ignore[arg-type]
    index_only = IndexOnly(ChannelSettings(), context)
    per_article = PerArticle(ChannelSettings(), context)
    assert not renders_articles(index_only) and renders_articles(per_article)

    staged = StagedOutput(site.root / "public", site.root / "cache")
    renderer = Renderer(built, staged, BuildCache(), "templates")
    try:
        assert list(renderer._article_work(index_only, "base")) == []
        assert len(list(renderer._article_work(per_article, "base"))) == 3
    finally:
        staged.abort()
