"""RFC 5005 archive pages and the 1 MB budget."""

from __future__ import annotations

import itertools

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
BASE = "https://news.example.com/"


def links(doc: etree._Element) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in doc.findall(f"{ATOM}link")}


def walk_archive(public) -> tuple[list[str], list[etree._Element]]:
    """Follow prev-archive from the subscription document; return ids and pages seen."""
    current = etree.fromstring((public / "atom.xml").read_bytes())
    ids = [e.findtext(f"{ATOM}id") for e in current.findall(f"{ATOM}entry")]
    pages = []
    url = links(current).get("prev-archive")
    seen = set()
    while url:
        assert url.startswith(BASE) and url not in seen
        seen.add(url)
        data = (public / url.removeprefix(BASE)).read_bytes()
        assert feedparser.parse(data).bozo == 0
        page = etree.fromstring(data)
        pages.append(page)
        ids += [e.findtext(f"{ATOM}id") for e in page.findall(f"{ATOM}entry")]
        url = links(page).get("prev-archive")
    return ids, pages


def test_archive_chain_reaches_every_article(newsroom, publish):
    newsroom.write(limit=1)
    for day in range(1, 13):
        newsroom.site.article(
            "tech", f"extra-{day}", "x\n", published=f"2023-{day:02d}-10T10:00:00+08:00"
        )
    publish()
    site = newsroom.site.build().site
    ids, pages = walk_archive(newsroom.public)
    assert set(ids) == {a.uid for a in site.articles}
    assert len(pages) >= 12  # one page per month at least
    for newer, older in itertools.pairwise(pages):
        assert links(older)["next-archive"] == links(newer)["self"]
    for page in pages:
        assert page.find(f"{FH}archive") is not None
        assert links(page)["current"] == BASE + "atom.xml"
        assert links(page)["self"].startswith(BASE + "archive/")
        # Pages hold their month's articles, newest first.
        dates = [e.findtext(f"{ATOM}published") for e in page.findall(f"{ATOM}entry")]
        assert dates and len({d[:7] for d in dates}) == 1
    subscription = etree.fromstring((newsroom.public / "atom.xml").read_bytes())
    assert subscription.find(f"{FH}archive") is None
    assert len(subscription.findall(f"{ATOM}entry")) == 1


def test_every_file_stays_under_the_size_limit(newsroom, publish):
    limit = 40_000
    newsroom.write(max_bytes=limit)
    paragraph = "Long reporting " * 120 + "\n\n"
    for n in range(30):
        newsroom.site.article(
            "finance",
            f"long-{n}",
            paragraph * 2,
            published=f"2024-03-{n % 28 + 1:02d}T10:00:00+08:00",
            tags=["AI"],
        )
    newsroom.site.article("tech", "huge", paragraph * 40, published="2024-04-01T10:00:00+08:00")
    publish()
    site = newsroom.site.build().site
    feeds = newsroom.feeds()
    assert max(len(data) for data in feeds.values()) < limit
    site_feed = feedparser.parse(feeds["atom.xml"])
    assert 1 < len(site_feed.entries) < len(site.articles)  # the window shrank to fit
    # The oversized article is listed with its summary only, never dropped.
    huge = site.by_slug["huge"]
    tech = feedparser.parse(feeds["tech/atom.xml"])
    assert tech.entries[0].id == huge.uid and "content" not in tech.entries[0]
    ids, pages = walk_archive(newsroom.public)
    assert set(ids) == {a.uid for a in site.articles}
    assert sum(1 for p in pages if "2024-03" in links(p)["self"]) > 1  # a big month splits


def test_an_oversized_article_no_feed_lists_is_archived_with_its_summary(newsroom, publish):
    """An old article in no subscription window takes the archive's own summary path."""
    limit = 40_000
    newsroom.write(max_bytes=limit, limit=1)
    newsroom.site.article(
        "tech", "old-huge", "Long reporting " * 4000 + "\n", published="2020-01-15T10:00:00+08:00"
    )
    publish()
    page = (newsroom.public / "archive/2020-01/atom.xml").read_bytes()
    assert len(page) < limit
    (entry,) = feedparser.parse(page).entries
    huge = newsroom.site.build().site.by_slug["old-huge"]
    assert entry.id == huge.uid and "content" not in entry and entry.summary
