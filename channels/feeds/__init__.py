"""The feeds channel: RSS 2.0 and Atom 1.0 (through feedgen) and JSON Feed 1.1.

One feed of each format for the whole site, every section (a parent includes its
subsections) and every tag, newest first, plus RFC 5005 monthly archive pages of the
site feed. Output is a pure function of the site: no "now" anywhere, so an unchanged
site republishes byte-identical feeds and partners' conditional GETs keep working.
"""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.channel import Channel, OutputFile, Page
from syndicate.model import Site

from .build import STYLESHEET_PATH, FeedBuilder
from .settings import FeedsSettings

STYLESHEET_TEMPLATE = "feeds/feed.xsl"


class FeedsChannel(Channel[FeedsSettings]):
    name = "feeds"
    summary = "RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each section and each tag"
    enabled_by_default = True

    @property
    def feed_settings(self) -> FeedsSettings:
        return self.settings

    def render_site(self, site: Site) -> Iterable[OutputFile | Page]:
        settings = self.feed_settings
        xml = any(fmt in settings.formats for fmt in ("atom", "rss"))
        stylesheet = settings.stylesheet and xml
        yield from FeedBuilder(site, settings, stylesheet=stylesheet).work()
        if stylesheet:
            xsl = self.context.templates.render(STYLESHEET_TEMPLATE, site=site.info)
            yield OutputFile.text(STYLESHEET_PATH, xsl)
