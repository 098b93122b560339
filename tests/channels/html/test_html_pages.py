"""The pages as a reader (and a crawler) gets them, parsed with html5lib."""

from __future__ import annotations

import itertools
import json
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pytest
from conftest import SiteFactory

from .conftest import (
    HOSTILE_IMAGE_SRC,
    HOSTILE_SOURCE_URL,
    HOSTILE_TITLE,
    SM,
    Published,
    build_news_site,
    read_sitemaps,
)

ARTICLE = "finance/financial-focus/sora-film-industry/index.html"
HOSTILE = "finance/financial-focus/hostile/index.html"
CHINESE = "world/wenshengshipin/index.html"


def parse(text: str) -> Element:
    return html5lib.parse(text, namespaceHTMLElements=False)  # type: ignore[no-any-return]


def texts(elements: list[Element]) -> list[str]:
    return [" ".join("".join(e.itertext()).split()) for e in elements]


def json_ld(tree: Element) -> dict[str, dict[str, Any]]:
    found = {}
    for script in tree.iter("script"):
        assert script.get("type") == "application/ld+json", "no other scripts on a page"
        data = json.loads(script.text or "")
        found[data["@type"]] = data
    return found


def meta(tree: Element, attr: str, name: str) -> list[str]:
    return [m.get("content", "") for m in tree.iter("meta") if m.get(attr) == name]


def test_article_page_structure(published: Published) -> None:
    tree = parse(published.page(ARTICLE))
    html = tree.find(".")
    assert html is not None and html.get("lang") == "en"
    assert [m.get("charset") for m in tree.iter("meta") if m.get("charset")] == ["utf-8"]
    assert meta(tree, "name", "viewport") == ["width=device-width, initial-scale=1"]
    assert len(list(tree.iter("h1"))) == 1
    h1 = next(tree.iter("h1"))
    assert texts([h1]) == ["Will Sora become a director, a screenwriter, then unemployed?"]
    crumbs = tree.findall(".//nav[@aria-label='Breadcrumb']//a")
    assert texts(crumbs) == ["News Center", "Finance", "Financial Focus"]
    assert [a.get("href") for a in crumbs] == [
        "../../../",
        "../../../finance/",
        "../../../finance/financial-focus/",
    ]
    times = {t.get("datetime"): t for t in tree.iter("time")}
    assert "2024-02-20T09:30:00+08:00" in times and "2024-02-21T08:00:00+08:00" in times
    # Shown in the site's time zone (Asia/Taipei) in the article's language.
    assert texts([times["2024-02-20T09:30:00+08:00"]]) == ["February 20, 2024, 9:30 AM GMT+08:00"]
    assert texts(tree.findall(".//p[@class='byline']")) == ["By Li Wei and Zhang Min"]
    source = tree.find(".//p[@class='source']")
    assert source is not None and texts([source]) == ["Source: Chongqing Morning Post"]
    link = source.find("a")
    assert link is not None and link.get("href") == "https://example.com/original/123"
    figure = tree.find(".//figure")
    assert figure is not None
    img = figure.find("picture/img")
    assert img is not None and img.get("src", "").endswith("/sora-640.jpg")
    assert (img.get("width"), img.get("height")) == ("1200", "675")
    assert img.get("srcset", "").endswith("../../../media/sora.jpg 1200w")
    assert img.get("alt") == "A frame generated from a text prompt"
    assert "OpenAI" in texts(figure.findall("figcaption"))[0]
    anchors = {h.get("id") for h in tree.iter("h2")} | {h.get("id") for h in tree.iter("h3")}
    assert {"post-production", "jobs", "outlook"} <= anchors
    toc = [a.get("href") for a in tree.findall(".//nav[@class='toc']//a")]
    assert toc == ["#post-production", "#jobs", "#outlook"]
    tags = tree.findall(".//ul[@class='tags']//a")
    assert texts(tags) == ["AI", "video", "film"]
    assert tags[0].get("href") == "../../../tags/ai/"


def test_related_prev_next_and_qr(published: Published) -> None:
    tree = parse(published.page(ARTICLE))
    related = tree.find(".//section[@class='related']")
    assert related is not None
    titles = related.findall(".//h3/a")
    assert texts(titles) == ["SASAC holds a meeting on AI in state firms", "文生视频会取代导演吗？"]
    assert titles[0].get("href") == "../../../finance/financial-focus/sasac-ai-meeting/"
    assert (
        "Feb" in texts(related.findall(".//time"))[0]
        or "February" in texts(related.findall(".//time"))[0]
    )
    summaries = texts(related.findall(".//p[@class='summary']"))
    assert summaries[0] == "The commission met on AI."
    # The newest article of its section: only an older neighbour.
    prevnext = tree.findall(".//nav[@class='prevnext']//a")
    assert [a.get("rel") for a in prevnext] == ["prev"]
    assert "SASAC holds a meeting" in texts(prevnext)[0]
    middle = parse(published.page("finance/financial-focus/sasac-ai-meeting/index.html"))
    rels = {a.get("rel"): a.get("href") for a in middle.findall(".//nav[@class='prevnext']//a")}
    assert rels == {"prev": "../../../finance/financial-focus/hostile/",
                    "next": "../../../finance/financial-focus/sora-film-industry/"}  # fmt: skip
    svg = tree.find(".//aside[@class='qr']//{http://www.w3.org/2000/svg}svg")
    assert svg is not None


def test_qr_code_encodes_the_canonical_url(published: Published) -> None:
    pytest.importorskip("pyzbar.pyzbar", reason="pyzbar/libzbar0 not installed")
    from qrdecode import decode_svg

    tree = parse(published.page(ARTICLE))
    svg = tree.find(".//aside[@class='qr']//{http://www.w3.org/2000/svg}svg")
    assert svg is not None
    # The inline SVG exactly as the page has it, rendered by cairo and read by zbar.
    page = published.page(ARTICLE)
    inline = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    canonical = "https://news.example.com/finance/financial-focus/sora-film-industry/"
    assert decode_svg(inline, width=400) == [canonical]


def test_head_canonical_social_and_feeds(published: Published) -> None:
    tree = parse(published.page(ARTICLE))
    canonical = "https://news.example.com/finance/financial-focus/sora-film-industry/"
    assert [ln.get("href") for ln in tree.iter("link") if ln.get("rel") == "canonical"] == [
        canonical
    ]
    title = tree.find(".//title")
    assert title is not None and title.text is not None
    assert title.text.startswith("Will Sora become a director")
    description = meta(tree, "name", "description")
    assert description == ["Industry figures weigh what text-to-video means for post-production."]
    assert meta(tree, "property", "og:url") == [canonical]
    assert meta(tree, "property", "og:type") == ["article"]
    assert meta(tree, "property", "og:image") == ["https://news.example.com/media/sora.jpg"]
    assert meta(tree, "property", "article:tag") == ["AI", "video", "film"]
    assert meta(tree, "name", "twitter:card") == ["summary_large_image"]
    feeds = {
        (ln.get("type"), ln.get("href")) for ln in tree.iter("link") if ln.get("rel") == "alternate"
    }
    assert ("application/atom+xml", "https://news.example.com/atom.xml") in feeds
    assert ("application/rss+xml", "https://news.example.com/rss.xml") in feeds
    assert ("application/feed+json", "https://news.example.com/feed.json") in feeds
    section_feed = "https://news.example.com/finance/financial-focus/atom.xml"
    assert ("application/atom+xml", section_feed) in feeds
    stylesheet = [ln.get("href") for ln in tree.iter("link") if ln.get("rel") == "stylesheet"]
    assert len(stylesheet) == 1
    assert (published.out / "finance/financial-focus/sora-film-industry" / stylesheet[0]).is_file()


def test_json_ld_news_article_and_breadcrumb(published: Published) -> None:
    data = json_ld(parse(published.page(ARTICLE)))
    article = data["NewsArticle"]
    assert article["headline"].startswith("Will Sora become a director")
    assert article["datePublished"] == "2024-02-20T09:30:00+08:00"
    assert article["dateModified"] == "2024-02-21T08:00:00+08:00"
    assert [a["name"] for a in article["author"]] == ["Li Wei", "Zhang Min"]
    assert article["image"] == ["https://news.example.com/media/sora.jpg"]
    assert article["publisher"]["name"] == "Taiwan Strait Network"
    items = data["BreadcrumbList"]["itemListElement"]
    assert [i["name"] for i in items] == [
        "News Center",
        "Finance",
        "Financial Focus",
        "Will Sora become a director, a screenwriter, then unemployed?",
    ]
    assert [i["position"] for i in items] == [1, 2, 3, 4]
    assert items[1]["item"] == "https://news.example.com/finance/"


def test_every_field_is_escaped_and_the_body_sanitised(published: Published) -> None:
    raw = published.page(HOSTILE)
    tree = parse(raw)
    assert texts(list(tree.iter("h1"))) == [HOSTILE_TITLE]
    assert "<script>alert" not in raw and "<b>" not in raw and "<i>Corp" not in raw
    for element in tree.iter():
        assert not any(name.lower().startswith("on") for name in element.attrib), element.attrib
        for value in element.attrib.values():
            assert "javascript:" not in value.lower(), element.attrib
    scripts = list(tree.iter("script"))
    assert scripts and all(s.get("type") == "application/ld+json" for s in scripts)
    # JSON-LD carries the hostile title as data, and no text closes its <script>.
    data = json_ld(tree)
    assert data["NewsArticle"]["headline"] == HOSTILE_TITLE
    assert meta(tree, "property", "og:title") == [HOSTILE_TITLE]
    # Quotes in the source URL and image path stay inside their attributes.
    source = tree.find(".//p[@class='source']")
    assert source is not None and "Evil <i>Corp</i>" in texts([source])[0]
    link = source.find(".//a")
    assert link is not None and link.get("href") == HOSTILE_SOURCE_URL
    image = tree.find(".//figure//img")
    assert image is not None and image.get("src", "").endswith(HOSTILE_IMAGE_SRC.lstrip("/"))
    body = tree.find(".//div[@class='body']")
    assert body is not None
    assert all(img.get("alt") is not None for img in body.iter("img"))
    assert "Paragraph with a handler." in texts([body])[0]


def test_chinese_article_uses_chinese_labels_and_dates(published: Published) -> None:
    tree = parse(published.page(CHINESE))
    html = tree.find(".")
    assert html is not None and html.get("lang") == "zh-Hans"
    text = " ".join(texts([tree.find("body")]))  # type: ignore[list-item]
    for label in ("跳到正文", "发布于", "相关新闻", "扫码在手机上阅读", "来源：", "作者：李伟"):
        assert label in text, label
    for english in ("Related news", "Skip to content", "Scan to read on your phone"):
        assert english not in text
    assert "2024年2月19日" in text
    assert meta(tree, "property", "og:locale") == ["zh_CN"]
    assert json_ld(tree)["NewsArticle"]["inLanguage"] == "zh-Hans"
    # The English article it relates to is marked as English on this Chinese page.
    related = tree.findall(".//section[@class='related']//li")
    assert [li.get("lang") for li in related] == ["en"]
    # The English article keeps English labels, and marks its Chinese related item.
    english = parse(published.page(ARTICLE))
    assert "Related news" in texts(english.findall(".//section[@class='related']/h2"))
    langs = [li.get("lang") for li in english.findall(".//section[@class='related']//li")]
    assert langs == [None, "zh-Hans"]


def test_section_pages_paginate_newest_first(published: Published) -> None:
    first = parse(published.page("finance/index.html"))
    assert texts(list(first.iter("h1"))) == ["Finance"]
    lead = first.findall(".//article[@class='lead-story']/h2/a")
    listed = lead + first.findall(".//ul[@class='teasers']//h2/a")
    assert texts(listed) == [
        "Will Sora become a director, a screenwriter, then unemployed?",
        "SASAC holds a meeting on AI in state firms",
    ]
    subsections = first.findall(".//nav[@class='subsections']//a")
    assert texts(subsections) == ["Financial Focus"]
    assert subsections[0].get("href") == "../finance/financial-focus/"
    pager = {a.get("rel"): a.get("href") for a in first.findall(".//nav[@class='pagination']//a")}
    assert pager == {"next": "../finance/page/2/"}
    assert "Page 1 of 2" in texts(first.findall(".//nav[@class='pagination']"))[0]
    second = parse(published.page("finance/page/2/index.html"))
    listed2 = texts(second.findall(".//ul[@class='teasers']//h2/a"))
    assert listed2 == [HOSTILE_TITLE, "Markets close higher"]
    pager2 = {a.get("rel"): a.get("href") for a in second.findall(".//nav[@class='pagination']//a")}
    assert pager2 == {"prev": "../../../finance/"}
    canon = [ln.get("href") for ln in second.iter("link") if ln.get("rel") == "canonical"]
    assert canon == ["https://news.example.com/finance/page/2/"]
    assert not (published.out / "finance/page/3/index.html").exists()


def test_tag_home_and_404_pages(published: Published) -> None:
    tag = parse(published.page("tags/ai/index.html"))
    assert texts(list(tag.iter("h1"))) == ["Tag: AI"]
    shown = tag.findall(".//article[@class='lead-story']") + tag.findall(
        ".//ul[@class='teasers']/li"
    )
    assert len(shown) == 2  # per_page=2 of 3
    assert (published.out / "tags/ai/page/2/index.html").is_file()
    feeds = [ln.get("href") for ln in tag.iter("link") if ln.get("rel") == "alternate"]
    assert "https://news.example.com/tags/ai/atom.xml" in feeds

    home = parse(published.page("index.html"))
    assert len(list(home.iter("h1"))) == 1
    blocks = texts(home.findall(".//section/h2"))
    assert blocks == ["Latest news", "Finance", "World"]
    # The newest story with an image leads; every other story is listed once, newest first.
    lead = home.findall(".//article[@class='lead-story']/h2/a")
    assert texts(lead) == ["Will Sora become a director, a screenwriter, then unemployed?"]
    latest = home.findall(".//section")[0]
    stories = texts(latest.findall(".//h3/a"))
    assert stories[:2] == ["文生视频会取代导演吗？", "SASAC holds a meeting on AI in state firms"]
    hrefs = [a.get("href") for a in home.findall(".//main//h2/a") + home.findall(".//main//h3/a")]
    stories_hrefs = [h for h in hrefs if h and h.count("/") >= 2]
    assert len(stories_hrefs) == len(set(stories_hrefs)) == 6
    zh = latest.findall(".//li")[0]
    assert zh.get("lang") == "zh-Hans" and zh.find(".//a").get("href") == "world/wenshengshipin/"
    assert json_ld(home)["WebSite"]["name"] == "Taiwan Strait Network"

    missing = parse(published.page("404.html"))
    assert texts(list(missing.iter("h1"))) == ["Page not found"]
    assert meta(missing, "name", "robots") == ["noindex"]
    links = [a.get("href") for a in missing.findall(".//main//a")]
    assert "/" in links and "/finance/financial-focus/sora-film-industry/" in links


def test_accessibility_landmarks(published: Published) -> None:
    for rel in (ARTICLE, "finance/index.html", "index.html", "tags/ai/index.html", "404.html"):
        tree = parse(published.page(rel))
        body = tree.find("body")
        assert body is not None
        first = body.find("a")
        assert first is not None and first.get("href") == "#main", rel
        assert len(list(tree.iter("main"))) == 1 and tree.find(".//main[@id='main']") is not None
        assert tree.find(".//header") is not None and tree.find(".//footer") is not None
        assert len(list(tree.iter("h1"))) == 1, rel
        # Heading levels never skip downwards (h1 -> h3).
        levels = [int(e.tag[1]) for e in tree.iter() if e.tag in {"h1", "h2", "h3", "h4"}]
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), (rel, levels)
        for img in tree.iter("img"):
            assert img.get("alt") is not None


def test_sitemaps_and_robots(published: Published) -> None:
    from xml.etree import ElementTree

    index, files = read_sitemaps(published.out)
    base = "https://news.example.com/"
    # An index of one sitemap per month of publication and one of the list pages, each
    # with the last change to any of its URLs.
    assert index == {
        "sitemap-2024-02.xml": "2024-02-21T08:00:00+08:00",
        "sitemap-2024-01.xml": "2024-01-01T08:00:00+08:00",
        "sitemap-lists.xml": "2024-02-21T08:00:00+08:00",
    }
    assert files["sitemap-2024-01.xml"] == {base + "world/old-news/": "2024-01-01T08:00:00+08:00"}
    february = files["sitemap-2024-02.xml"]
    assert february[base + "finance/financial-focus/sora-film-industry/"] == (
        "2024-02-21T08:00:00+08:00"
    )
    assert len(february) == 5
    lists = files["sitemap-lists.xml"]
    assert lists[base] == "2024-02-21T08:00:00+08:00"
    assert lists[base + "world/"] == "2024-02-19T12:00:00+08:00"  # its newest story
    assert {base + "finance/", base + "world/", base + "tags/ai/", base + "tags/"} <= set(lists)
    assert {base + "authors/li-wei/", base + "authors/zhang-min/"} <= set(lists)
    pages = [u for u in lists if "/tags/" not in u and "/authors/" not in u]
    assert len(pages) == 4  # home + sections

    news = ElementTree.fromstring((published.out / "news-sitemap.xml").read_bytes())
    nsn = {**SM, "n": "http://www.google.com/schemas/sitemap-news/0.9"}
    entries = {
        u.findtext("s:loc", namespaces=nsn): u.findtext(".//n:language", namespaces=nsn)
        for u in news.findall("s:url", nsn)
    }
    # Within two days of the newest article (2024-02-20 09:30), not of "now".
    assert entries == {
        base + "finance/financial-focus/sora-film-industry/": "en",
        base + "finance/financial-focus/sasac-ai-meeting/": "en",
        base + "world/wenshengshipin/": "zh-cn",
        base + "finance/financial-focus/hostile/": "en",
    }
    titles = [t.text for t in news.iter("{http://www.google.com/schemas/sitemap-news/0.9}title")]
    assert HOSTILE_TITLE in titles

    robots = (published.out / "robots.txt").read_text().splitlines()
    assert "Sitemap: https://news.example.com/sitemap.xml" in robots
    assert "Sitemap: https://news.example.com/news-sitemap.xml" in robots


def test_stylesheet_is_mobile_first(published: Published) -> None:
    css = next((published.out / "assets").glob("style.*.css")).read_text()
    assert "prefers-color-scheme: dark" in css and "@media print" in css
    assert "min-height: 44px" in css and "system-ui" in css


def test_republish_is_byte_identical_and_zh_site_language(site: SiteFactory) -> None:
    build_news_site(site)
    assert site.cli("publish", "--channels", "html").exit_code == 0
    out = site.root / "public"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # A cold second build (cache removed) gives the same bytes.
    import shutil

    shutil.rmtree(site.root / ".syndicate", ignore_errors=True)
    shutil.rmtree(out)
    assert site.cli("publish", "--channels", "html").exit_code == 0
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before == after

    # A Chinese-language site gets Chinese list pages.
    site.settings["site"]["language"] = "zh-Hans"
    site.write_config()
    assert site.cli("publish", "--channels", "html").exit_code == 0
    home = parse((out / "index.html").read_text(encoding="utf-8"))
    assert home.get("lang") == "zh-Hans"
    assert "最新新闻" in texts(home.findall(".//section/h2"))
    listing = (out / "finance/page/2/index.html").read_text(encoding="utf-8")
    assert "第 2 页，共 2 页" in listing and "较新文章" in listing


def test_settings_are_validated(site: SiteFactory) -> None:
    site.article("news", "a")
    site.write_config(channels={"html": {"per_pgae": 3}})
    result = site.cli("publish", "--channels", "html")
    assert result.exit_code != 0
    assert "channels.html.per_pgae: unknown setting" in result.output


def test_tag_spellings_share_one_page_newest_first(site: SiteFactory) -> None:
    """Tag spellings "AI" and "ai" share one page: every article once, in site order."""
    from syndicate_channels.html import _tags_by_slug

    site.article("a", "one", tags=["AI"], published="2024-02-01T08:00:00+00:00")
    site.article("a", "two", tags=["ai"], published="2024-02-03T08:00:00+00:00")
    site.article("a", "three", tags=["AI", "ai"], published="2024-02-02T08:00:00+00:00")
    site.article("a", "four", tags=["Ai", "video"], published="2024-02-04T08:00:00+00:00")
    built = site.build().site
    pages = _tags_by_slug(built)
    assert set(pages) == {"AI", "video"}  # named after the first spelling seen
    assert [a.slug for a in pages["AI"]] == ["four", "two", "three", "one"]
    assert [a.slug for a in pages["video"]] == ["four"]
