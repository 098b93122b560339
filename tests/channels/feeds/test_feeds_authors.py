"""Every author has feeds at the URL the HTML author page links (syndicate.urls)."""

from __future__ import annotations

from typing import Any

import feedparser
import html5lib


def test_author_feeds_hold_exactly_their_articles(site: Any) -> None:
    site.article("finance", "a", title="By Li", authors=["Li Wei"])
    site.article("finance", "b", title="By both", authors=["Li Wei", "王海林"],
                 published="2024-02-21T09:00:00+08:00")  # fmt: skip
    site.article("world", "c", title="Nobody's")
    site.write_config()
    assert site.cli("publish", "--channels", "feeds,html").exit_code == 0
    out = site.root / "public"
    li = feedparser.parse((out / "authors/li-wei/atom.xml").read_bytes())
    assert not li.bozo and [e.title for e in li.entries] == ["By both", "By Li"]
    assert li.feed.id.endswith(":feed/author/li-wei")
    wang = feedparser.parse((out / "authors/wang-hai-lin/rss.xml").read_bytes())
    assert [e.title for e in wang.entries] == ["By both"]
    assert (out / "authors/wang-hai-lin/feed.json").is_file()
    assert (out / "authors/li-wei/rss.xml").is_file()
    # The author's page links the same files, in <head> and in the page.
    page = html5lib.parse(
        (out / "authors/li-wei/index.html").read_bytes(), namespaceHTMLElements=False
    )
    alternates = [ln.get("href") for ln in page.iter("link") if ln.get("rel") == "alternate"]
    assert "https://news.example.com/authors/li-wei/atom.xml" in alternates
    follow = [a.get("href") for a in page.findall(".//p[@class='author-feeds']/a")]
    assert follow == [f"../../authors/li-wei/{n}" for n in ("atom.xml", "rss.xml", "feed.json")]
    article = (out / "finance/b/index.html").read_text(encoding="utf-8")
    assert '<a href="../../authors/wang-hai-lin/" rel="author">王海林</a>' in article


def test_author_feeds_can_be_turned_off(site: Any) -> None:
    site.article("finance", "a", authors=["Li Wei"])
    site.write_config(channels={"feeds": {"authors": False}})
    assert site.cli("publish", "--channels", "feeds").exit_code == 0
    assert not (site.root / "public/authors").exists()
