"""Unit edges: the fast archive writer, XML-invalid text, settings, tags, stylesheet."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import feedparser
import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from syndicate_channels.feeds.atomfast import atom_entry
from syndicate_channels.feeds.entries import build_entry
from syndicate_channels.feeds.items import Category, FeedItem, LeadImage, SourceRef, make_item
from syndicate_channels.feeds.xmlfeeds import serialize_entry
from syndicate_channels.feeds.xmlsafe import xml_text

from syndicate.model import Body

xml_chars = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08"
    "\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f"
    "\ufffe\uffff",
)
text = st.text(xml_chars, max_size=40)
some_text = st.text(xml_chars, min_size=1, max_size=40)
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=timezone(timedelta(hours=8)))
)
urls = st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9/?=&.%-]{0,20}", fullmatch=True)

items = st.builds(
    FeedItem,
    uid=urls,
    slug=st.from_regex(r"[a-z]{1,10}", fullmatch=True),
    title=some_text,
    url=urls,
    published=moments,
    modified=moments,
    authors=st.lists(some_text, max_size=3).map(tuple),
    summary=text,
    content_html=text,
    categories=st.lists(st.builds(Category, some_text, some_text, urls), max_size=3).map(tuple),
    tags=st.just(()),
    section_title=some_text,
    image=st.none()
    | st.builds(LeadImage, urls, st.sampled_from([None, "image/png"]), text, st.none(), st.none()),
    source=st.none() | st.builds(SourceRef, some_text, st.none() | urls),
    language=st.just("en"),
)


@settings(max_examples=150, deadline=None)
@given(items, st.booleans())
def test_fast_archive_writer_matches_feedgen_byte_for_byte(item, full):
    assert atom_entry(item, full=full) == serialize_entry(build_entry(item, full=full), "atom")


def test_xml_text_removes_what_xml_cannot_hold():
    assert xml_text("a\x00b\x0bc\x1fd\x7fe\ufffef\ud800g\tok\n") == "abcdefg\tok\n"
    clean = "正常 text & <tags>"
    assert xml_text(clean) is clean


def test_control_characters_never_reach_a_feed(newsroom):
    newsroom.write()
    site = newsroom.site.build().site
    article = dataclasses.replace(
        site.by_slug["older-story"],
        title="Bad\x0b title",
        body=Body("<p>bo\x00dy</p>"),
        authors=("A\x1b",),
    )
    item = make_item(article, site)
    assert (item.title, item.authors) == ("Bad title", ("A",))
    assert "\x00" not in item.content_html
    document = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + atom_entry(item) + b"</feed>"
    etree.fromstring(document)  # well-formed


def test_unknown_setting_is_an_error_naming_it(newsroom):
    newsroom.write(limt=5)
    result = newsroom.site.cli("publish", "--channels", "feeds")
    assert result.exit_code != 0
    assert "channels.feeds.limt" in result.output


@pytest.mark.parametrize(
    "bad", [{"formats": ["atom", "pdf"]}, {"hub": "hub.example"}, {"limit": 0}]
)
def test_invalid_settings_are_rejected(newsroom, bad):
    newsroom.write(**bad)
    result = newsroom.site.cli("publish", "--channels", "feeds")
    assert result.exit_code != 0
    assert "channels.feeds." in result.output


def test_formats_setting_limits_what_is_written(newsroom, publish):
    newsroom.write(formats=["json"], archive=True)
    publish()
    written = newsroom.feeds()
    assert written and all(p.endswith("feed.json") for p in written)
    assert not (newsroom.public / "feed.xsl").exists()


def test_tags_that_share_a_slug_share_one_feed(newsroom, publish):
    newsroom.write()
    newsroom.site.article("tech", "lower-ai", "x\n", tags=["ai"], published="2024-03-01")
    publish()
    site = newsroom.site.build().site
    doc = feedparser.parse(newsroom.public / "tags/ai/atom.xml")
    assert {e.id for e in doc.entries} == {a.uid for a in site.by_tag["AI"] + site.by_tag["ai"]}


def test_stylesheet_turns_a_feed_into_a_readable_page(newsroom, publish):
    newsroom.write()
    publish()
    xsl = etree.XSLT(etree.parse(str(newsroom.public / "feed.xsl")))
    for name in ("atom.xml", "rss.xml"):
        data = (newsroom.public / name).read_bytes()
        assert (
            b'<?xml-stylesheet type="text/xsl" href="https://news.example.com/feed.xsl"?>' in data
        )
        page = html5lib.parse(str(xsl(etree.fromstring(data))), namespaceHTMLElements=False)
        headlines = {a.text: a.get("href") for a in page.iter("a")}
        url = "https://news.example.com/finance/markets/special-chars/"
        assert headlines[newsroom.special_title] == url


def test_stylesheet_can_be_turned_off(newsroom, publish):
    newsroom.write(stylesheet=False)
    publish()
    assert b"xml-stylesheet" not in (newsroom.public / "atom.xml").read_bytes()
    assert not (newsroom.public / "feed.xsl").exists()


def test_section_and_tag_feeds_can_be_turned_off(newsroom, publish):
    newsroom.write(sections=False, tags=False, archive=False)
    publish()
    assert set(newsroom.feeds()) == {"atom.xml", "rss.xml", "feed.json"}
    assert b"prev-archive" not in (newsroom.public / "atom.xml").read_bytes()
