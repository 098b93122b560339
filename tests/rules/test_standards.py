"""Small standards fixes: times with their zone, entries in their own language, RSS
titles as the W3C validator's RSS profile check wants them."""

from __future__ import annotations

import re
from html.entities import name2codepoint

import feedparser
import html5lib
from conftest import SiteFactory
from lxml import etree

TRICKY = "Q&A: <b>bold</b> claims & AT&T's &amp; <script> &#x41;"


def newsroom(site: SiteFactory) -> None:
    site.article("news", "tricky", "Body.\n", title=TRICKY, published="2024-02-20T09:30:00+08:00")
    site.article("news", "chinese", "正文。\n", title="文生视频", language="zh-Hans",
                 published="2024-02-19T10:00:00+08:00")  # fmt: skip
    site.write_config()
    result = site.cli("publish", "--channels", "html,feeds")
    assert result.exit_code == 0, result.output


def character_data_warnings(data: bytes) -> list[str]:
    """The W3C feed validator's CharacterData rule (feedvalidator `nonhtml.validate`, RSS
    2.x): a plain-text element whose text looks like markup or an entity once decoded
    must spell it with hexadecimal references (`&#x` on its lines) to be unambiguous."""
    text = data.decode("utf-8")
    lines = text.split("\n")
    warnings = []
    root = etree.fromstring(data)
    for element in root.iter("title", "description"):
        if element.getparent() is None or element.getparent().tag not in ("channel", "item"):
            continue
        if element.tag == "description" and element.getparent().tag == "item":
            continue  # item descriptions are HTML
        value = element.text or ""
        entities = [
            name
            for name in re.findall(r"&(#?\w+)", value)
            if name in name2codepoint or name == "apos" or not name.isalpha()
        ]
        if entities or re.search(r"&#[x0-9]|<[/a-zA-Z]", value):
            start = element.sourceline - 1
            end = start + (value.count("\n") + 1)
            if not any("&#x" in line for line in lines[start:end]):
                warnings.append(f"{element.tag}: {value!r}")
    return warnings


def test_rss_titles_raise_no_character_data_warning(site: SiteFactory) -> None:
    newsroom(site)
    data = (site.root / "public/rss.xml").read_bytes()
    assert character_data_warnings(data) == []
    assert b"<title>Q&#x26;A: &#x3C;b&#x3E;bold" in data
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert TRICKY in [entry.title for entry in parsed.entries]  # readers see what was typed
    old_style = data.replace(b"&#x26;", b"&amp;").replace(b"&#x3C;", b"&lt;")
    old_style = old_style.replace(b"&#x3E;", b"&gt;")
    assert character_data_warnings(old_style)  # the rule check is not vacuous


def test_entries_in_another_language_say_so(site: SiteFactory) -> None:
    newsroom(site)
    atom = etree.fromstring((site.root / "public/atom.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert atom.get(lang) == "en"
    by_title = {e.findtext("a:title", namespaces=ns): e for e in atom.findall("a:entry", ns)}
    assert by_title["文生视频"].get(lang) == "zh-Hans"
    assert by_title[TRICKY].get(lang) is None  # the feed's own language
    parsed = feedparser.parse((site.root / "public/atom.xml").read_bytes())
    assert {e.title: e.title_detail.language for e in parsed.entries}["文生视频"] == "zh-Hans"
    rss = etree.fromstring((site.root / "public/rss.xml").read_bytes())
    dc = "{http://purl.org/dc/elements/1.1/}language"
    languages = {item.findtext("title"): item.findtext(dc) for item in rss.iter("item")}
    assert languages == {"文生视频": "zh-Hans", TRICKY: None}


def test_visible_times_show_their_zone(site: SiteFactory) -> None:
    newsroom(site)
    for slug, expected in (("tricky", "9:30\u202fAM GMT+08:00"), ("chinese", "10:00 GMT+08:00")):
        page = (site.root / f"public/news/{slug}/index.html").read_text("utf-8")
        document = html5lib.parse(page, namespaceHTMLElements=False)
        shown = [t.text for t in document.iter("time")]
        assert any(expected in (text or "") for text in shown), shown
