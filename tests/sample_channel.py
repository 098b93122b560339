"""A tiny third-party-style channel used by the core tests (and the architecture doc)."""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.channel import Channel, Listed, OutputFile, Page, Reads
from syndicate.config import ChannelSettings
from syndicate.model import Article, Site


class TextSettings(ChannelSettings):
    suffix: str = ".txt"
    fail_on: str | None = None  # slug whose rendering raises, to test failed publishes


class TextChannel(Channel[TextSettings]):
    """Writes one plain-text file per article and an index of titles."""

    name = "text"
    summary = "plain-text copies (test channel)"
    plan_fields = ("slug",)  # as in docs/architecture.md: the index lists every article

    def render_article(self, article: Article, site: Site) -> Iterable[OutputFile]:
        settings = self.settings  # a TextSettings: the type argument says so
        if article.slug == settings.fail_on:
            raise RuntimeError(f"refusing to render {article.slug}")
        yield OutputFile.text(f"text/{article.slug}{settings.suffix}", f"{article.title}\n")

    def render_site(self, site: Site) -> Iterable[OutputFile | Page]:
        # The index lists every article's slug and title: it declares exactly that.
        reads = Reads(articles=site.articles, fields=("slug", "title"))
        yield Page(reads, self.index, name="text/index.txt")

    def index(self, listed: tuple[Listed, ...]) -> Iterable[OutputFile]:
        yield OutputFile.text("text/index.txt", "".join(f"{a.slug}\t{a.title}\n" for a in listed))
