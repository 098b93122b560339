"""Publishing the feeds for real and reading them back as feed readers do."""

from __future__ import annotations

import html
import json
from datetime import UTC
from typing import Any

import feedparser
from lxml import etree

from syndicate.slug import tag_slug

ATOM = "{http://www.w3.org/2005/Atom}"


def parse_all(feeds: dict[str, bytes]) -> dict[str, Any]:
    parsed = {}
    for path, data in feeds.items():
        if path.endswith(".json"):
            parsed[path] = json.loads(data)
        else:
            result = feedparser.parse(data)
            assert result.bozo == 0, f"{path}: {result.get('bozo_exception')}"
            parsed[path] = result
    return parsed


def test_every_feed_parses_and_lists_its_articles(newsroom, publish):
    newsroom.write()
    publish()
    site = newsroom.site.build().site
    feeds = newsroom.feeds()
    parsed = parse_all(feeds)
    expected = {"atom.xml", "rss.xml", "feed.json"}
    for path in site.sections:
        if path:
            expected |= {f"{path}/atom.xml", f"{path}/rss.xml", f"{path}/feed.json"}
    for tag in site.by_tag:
        expected |= {
            f"tags/{tag_slug(tag)}/{name}" for name in ("atom.xml", "rss.xml", "feed.json")
        }
    for slug in site.by_author():
        expected |= {f"authors/{slug}/{name}" for name in ("atom.xml", "rss.xml", "feed.json")}
    expected |= {p for p in feeds if p.startswith("archive/")}
    assert set(feeds) == expected
    # A parent section includes its subsections; the home feed has everything.
    uids = {a.slug: a.uid for a in site.articles}
    for path, want in [
        ("atom.xml", [a.slug for a in site.articles]),
        ("finance/atom.xml", [a.slug for a in site.in_section("finance")]),
        ("finance/markets/rss.xml", [a.slug for a in site.in_section("finance/markets")]),
        ("tags/ai/feed.json", [a.slug for a in site.by_tag["AI"]]),
    ]:
        doc = parsed[path]
        ids = (
            [i["id"] for i in doc["items"]]
            if path.endswith(".json")
            else [e.id for e in doc.entries]
        )
        assert ids == [uids[s] for s in want], path
    assert {"finance/markets/special-chars", "finance/fund-flows"} <= {
        a.path.rstrip("/") for a in site.in_section("finance")
    }


def test_items_match_their_articles_in_every_format(newsroom, publish):
    newsroom.write()
    publish()
    site = newsroom.site.build().site
    parsed = parse_all(newsroom.feeds())
    article = site.by_slug["special-chars"]
    atom = next(e for e in parsed["atom.xml"].entries if e.id == article.uid)
    rss = next(e for e in parsed["rss.xml"].entries if e.id == article.uid)
    item = next(i for i in parsed["feed.json"]["items"] if i["id"] == article.uid)
    for title in (atom.title, rss.title, item["title"]):
        assert title == newsroom.special_title
    assert atom.link == rss.link == item["url"] == article.url
    assert rss.guidislink is False
    assert [a.name for a in atom.authors] == list(article.authors)
    assert [a["name"] for a in item["authors"]] == list(article.authors)
    assert atom.summary == item["summary"] == article.summary
    # RSS descriptions are HTML: the escaped text displays exactly as written.
    assert rss.summary_detail.type == "text/html"
    assert html.unescape(rss.summary) == article.summary
    published_utc = article.published.astimezone(UTC).timetuple()[:6]
    assert atom.published_parsed[:6] == rss.published_parsed[:6] == published_utc
    assert item["date_modified"] == article.modified.isoformat()
    assert {t.term for t in atom.tags} == {"finance/markets", "AI", "C++ & Rust"}
    assert {t.term for t in rss.tags} == {"Markets", "AI", "C++ & Rust"}
    assert item["tags"] == ["Markets", "AI", "C++ & Rust"]
    # Lead image: Atom enclosure link with its type, Media RSS in both XML formats.
    image_url = "https://news.example.com/media/chart.jpg"
    assert [(e.href, e.type) for e in atom.enclosures] == [(image_url, "image/jpeg")]
    assert rss.enclosures == []  # no <enclosure>: its required length is unknown
    for entry in (atom, rss):
        assert entry.media_content == [{"url": image_url, "type": "image/jpeg", "medium": "image"}]
    assert item["image"] == image_url
    # Source attribution.
    assert item["external_url"] == "https://example.com/original/123"
    assert any(link.rel == "via" and link.href == item["external_url"] for link in atom.links)
    assert rss.get("dc_source") == "https://example.com/original/123"
    chinese = next(i for i in parsed["feed.json"]["items"] if i["title"] == newsroom.chinese_title)
    assert "Red Star Journalism" in chinese["content_html"]
    assert any(e.title == newsroom.chinese_title for e in parsed["tech/rss.xml"].entries)


def test_relative_links_and_images_become_absolute(newsroom, publish):
    newsroom.write()
    publish()
    parsed = parse_all(newsroom.feeds())
    page = "https://news.example.com/finance/markets/special-chars/"
    atom = next(e for e in parsed["atom.xml"].entries if "special" in e.link)
    rss = next(e for e in parsed["rss.xml"].entries if "special" in e.link)
    item = next(i for i in parsed["feed.json"]["items"] if "special" in i["url"])
    for body in (atom.content[0].value, rss.content[0].value, item["content_html"]):
        tree = etree.HTML(body)
        hrefs = [a.get("href") for a in tree.iter("a")]
        srcs = [i.get("src") for i in tree.iter("img")]
        assert "https://news.example.com/finance/markets/older-story/" in hrefs
        assert "https://news.example.com/about/" in hrefs
        assert page + "#details" in hrefs
        assert "https://example.org/x?a=1&b=2" in hrefs
        assert srcs == ["https://news.example.com/media/chart.jpg", page + "chart.png"]
        assert all(u.startswith(("https://", "http://")) for u in hrefs + srcs)
    flows = next(i for i in parsed["feed.json"]["items"] if "fund-flows" in i["url"])
    assert flows["image"] == "https://news.example.com/finance/fund-flows/media/flows.png"


def test_republishing_unchanged_site_gives_identical_bytes(newsroom, publish):
    newsroom.write(hub="https://hub.example.net/")
    first = publish()
    second = publish("--force")  # render everything again, no cache
    assert first == second
    assert any(p.startswith("archive/") for p in first)


def test_incremental_publish_matches_a_full_rebuild(newsroom, publish):
    newsroom.write()
    publish()
    newsroom.site.article(
        "tech",
        "sora-director",
        "新正文。\n",
        title="Edited headline",
        published="2024-02-19T10:00:00+08:00",
        tags=["AI"],
    )
    newsroom.site.section("tech", "Tech & Science")  # a section title shows in categories
    incremental = publish()
    full = publish("--force")
    assert incremental == full
    titles = [e.title for e in feedparser.parse(full["tags/ai/atom.xml"]).entries]
    assert "Edited headline" in titles
    assert b'label="Tech &amp; Science"' in full["atom.xml"]


def test_ids_survive_edits_to_title_body_section_and_date(newsroom, publish):
    newsroom.write()
    publish()
    before = {
        e.link.rstrip("/").rsplit("/", 1)[-1]: e.id
        for e in feedparser.parse(newsroom.public / "atom.xml").entries
    }
    site = newsroom.site
    site.content.joinpath("finance/markets/special-chars.md").unlink()
    site.section("world", "World")
    site.article(
        "world",
        "special-chars",
        "Rewritten body.\n",
        title="A new headline",
        published="2024-02-22T09:30:00+08:00",
    )
    publish()
    after_doc = feedparser.parse(newsroom.public / "atom.xml")
    after = {e.link.rstrip("/").rsplit("/", 1)[-1]: e.id for e in after_doc.entries}
    assert after == before
    edited = next(e for e in after_doc.entries if e.id == before["special-chars"])
    assert edited.title == "A new headline"
    assert edited.link == "https://news.example.com/world/special-chars/"
    rss_ids = {e.id for e in feedparser.parse(newsroom.public / "rss.xml").entries}
    json_ids = {i["id"] for i in json.loads((newsroom.public / "feed.json").read_bytes())["items"]}
    assert rss_ids == json_ids == set(before.values())


def test_feed_updated_is_newest_item_date_not_now(newsroom, publish):
    newsroom.write()
    publish()
    root = etree.fromstring((newsroom.public / "atom.xml").read_bytes())
    assert root.findtext(f"{ATOM}updated") == "2024-02-21T08:00:00+08:00"
    rss = etree.fromstring((newsroom.public / "rss.xml").read_bytes())
    assert rss.findtext("channel/lastBuildDate") == "Wed, 21 Feb 2024 08:00:00 +0800"
    tech = etree.fromstring((newsroom.public / "tech/atom.xml").read_bytes())
    assert tech.findtext(f"{ATOM}updated") == "2024-02-19T10:00:00+08:00"


def test_limit_keeps_the_newest_items(newsroom, publish):
    newsroom.write(limit=2)
    publish()
    site = newsroom.site.build().site
    parsed = parse_all(newsroom.feeds())
    assert [e.id for e in parsed["atom.xml"].entries] == [a.uid for a in site.articles[:2]]
    assert len(parsed["feed.json"]["items"]) == 2
    assert len(parsed["rss.xml"].entries) == 2
