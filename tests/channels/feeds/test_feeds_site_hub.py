"""The site-wide WebSub hub is announced by every feed, and a change reaches every feed."""

from __future__ import annotations

import feedparser
from conftest import SiteFactory


def test_site_hub_is_announced_and_updates_reuse_nothing_stale(site: SiteFactory) -> None:
    site.article("news", "first")
    site.write_config()
    assert site.cli("publish", "--channels", "feeds").exit_code == 0
    atom = site.root / "public/atom.xml"
    assert not [
        link for link in feedparser.parse(atom.read_bytes()).feed.links if link.rel == "hub"
    ]
    site.settings["site"]["websub_hubs"] = ["https://hub.example.net/"]
    site.write_config()
    result = site.cli("publish", "--channels", "feeds")
    assert result.exit_code == 0, result.output
    for feed in (atom, site.root / "public/news/atom.xml", site.root / "public/rss.xml"):
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo == 0
        hubs = [link.href for link in parsed.feed.links if link.rel == "hub"]
        assert hubs == ["https://hub.example.net/"], feed
