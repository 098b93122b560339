"""The feeds channel: RSS 2.0 and Atom 1.0 (through feedgen) and JSON Feed 1.1.

One feed of each format for the whole site, every section (a parent includes its
subsections) and every tag, newest first, plus RFC 5005 monthly archive pages of the
site feed. Output is a pure function of the site: no "now" anywhere, so an unchanged
site republishes byte-identical feeds and partners' conditional GETs keep working.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from syndicate.channel import Channel, OutputFile, Page
from syndicate.model import Article, Site

from .archive import PlannedSizes
from .build import STYLESHEET_PATH, FeedBuilder
from .settings import FeedsSettings

STYLESHEET_TEMPLATE = "feeds/feed.xsl"


class FeedsChannel(Channel[FeedsSettings]):
    name = "feeds"
    summary = "RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each section and each tag"
    enabled_by_default = True
    # What `plan_feeds` lists by: the site feed all articles newest first (by
    # `published`, then slug), a section's by `section`, a tag's by `tags`, an author's
    # by `authors` (named as first seen); the archive files each article under the
    # month of `published`, and splits a month by entry sizes (`plan_key` adds those).
    # Everything else of an article (headline, body, summary, `modified`...) only the
    # pages show, which declare them (`FEED_FIELDS`): such an edit keeps the plan.
    plan_fields = ("slug", "published", "section", "tags", "authors")

    def plan_key(self, article: Article) -> tuple[object, ...] | None:
        """The plan fields, and the size the archive planned the article's entry at:
        rounded up to `ENTRY_SIZE_STEP`, so most edits leave it (and the split) as it was."""
        key = super().plan_key(article)
        if key is None or not self.feed_settings.archived:
            return key
        return (*key, self._sizes(article))

    @cached_property
    def _sizes(self) -> PlannedSizes:
        # The site facts `render_site` is handed come from this config (and a kept plan
        # needs them unchanged): the same memo as `FeedBuilder`'s, found, not worked out.
        return PlannedSizes(self.context.config.site)

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
