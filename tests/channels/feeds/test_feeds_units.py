"""Unit edges: the fast entry writers, XML-invalid text, settings, tags, stylesheet."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import feedparser
import html5lib
import pytest
from feedgen.entry import formatRFC2822  # via entry: feedgen.util alone needs lxml.etree loaded
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from syndicate_channels.feeds.absolute import absolute_url, absolutize_html
from syndicate_channels.feeds.atomfast import atom_entry
from syndicate_channels.feeds.entries import EntryCache, build_entry
from syndicate_channels.feeds.items import (
    Category,
    FeedItem,
    LeadImage,
    SourceRef,
    make_item,
    xml_content,
)
from syndicate_channels.feeds.rssfast import rfc822, rss_item
from syndicate_channels.feeds.xmlfeeds import serialize_entry
from syndicate_channels.feeds.xmlsafe import is_xml_safe, xml_text

from syndicate.model import Body, SiteInfo

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

# Texts may be empty wherever feedgen accepts it (labels, alt text, a source's name...):
# feedgen then leaves an attribute out or writes an empty element, and so must we.
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
    categories=st.lists(st.builds(Category, some_text, text, st.just("") | urls), max_size=3).map(
        tuple
    ),
    tags=st.just(()),
    section_title=some_text,
    image=st.none()
    | st.builds(
        LeadImage, urls, st.sampled_from([None, "", "image/png"]), text, st.none(), st.none()
    ),
    source=st.none() | st.builds(SourceRef, text, st.none() | urls),
    language=st.just("en"),
    own_language=st.none() | st.sampled_from(["zh-Hans", "de-CH"]),
)


@settings(max_examples=200, deadline=None)
@given(items, st.booleans())
def test_fast_atom_writer_matches_feedgen_byte_for_byte(item, full):
    assert atom_entry(item, full=full) == serialize_entry(build_entry(item, full=full), "atom")


@settings(max_examples=200, deadline=None)
@given(items, st.booleans())
def test_fast_rss_writer_matches_feedgen_byte_for_byte(item, full):
    assert rss_item(item, full=full) == serialize_entry(build_entry(item, full=full), "rss")


def test_entry_cache_writes_what_feedgen_writes(newsroom):
    """Real items (image, source, CJK, markup in titles) through the cache, both formats."""
    newsroom.write()
    site = newsroom.site.build().site
    cache = EntryCache()
    for article in site.articles:
        item = make_item(article, site)
        assert item.content_xml is not None
        assert xml_content(item) == xml_content(dataclasses.replace(item, content_xml=None))
        for fmt in ("atom", "rss"):
            for full in (True, False):
                expected = serialize_entry(build_entry(item, full=full), fmt)
                assert cache.xml(item, fmt, full=full) == expected
                assert cache.xml(item, fmt, full=full) is cache.xml(item, fmt, full=full)


@settings(max_examples=100, deadline=None)
@given(moments | moments.map(lambda d: d.astimezone(timezone(timedelta(hours=-5, minutes=-30)))))
def test_rfc822_dates_match_feedgen(moment):
    assert rfc822(moment) == formatRFC2822(moment)


def _absolute_url_by_urlsplit(value, page_url, info):
    """What `absolute_url` must answer: the plain urllib version."""
    value = value.strip()
    if not value or urlsplit(value).scheme:
        return value
    if value.startswith("/") and not value.startswith("//"):
        return info.absolute(value)
    return urljoin(page_url, value)


def _outcome(function, *args):
    try:
        return function(*args)
    except ValueError as exc:
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        ["", " ", "http://", "https://", "https:", "HTTP://", "/", "//", "mailto:"]
    ).flatmap(
        lambda start: st.text(st.sampled_from("ab/.:?#[]é\t %"), max_size=12).map(
            lambda rest: start + rest
        )
    )
)
def test_absolute_urls_agree_with_urllib(value):
    info = SiteInfo("T", "https://news.example.com/sub/", "en", None)
    page = "https://news.example.com/sub/tech/story/"
    expected = _outcome(_absolute_url_by_urlsplit, value, page, info)
    assert _outcome(absolute_url, value, page, info) == expected


def test_only_url_attributes_inside_tags_become_absolute(newsroom):
    newsroom.write()
    info = newsroom.site.build().site.info
    page = "https://news.example.com/tech/story/"
    body = (
        '<p><a href="../x/" title="y/">a</a> <img src="/m.png" alt="z.png">'
        '<blockquote cite="q.html"><code>src="raw"</code></blockquote>'
        '<video poster="p.jpg" data-src="d.jpg"></video>'
        '<a href="https://example.org/?a=1&amp;b=2">ok</a> <a href="#top">top</a></p>'
    )
    assert absolutize_html(body, page, info) == (
        '<p><a href="https://news.example.com/tech/x/" title="y/">a</a>'
        ' <img src="https://news.example.com/m.png" alt="z.png">'
        '<blockquote cite="https://news.example.com/tech/story/q.html"><code>src="raw"</code>'
        '</blockquote><video poster="https://news.example.com/tech/story/p.jpg" data-src="d.jpg">'
        '</video><a href="https://example.org/?a=1&amp;b=2">ok</a>'
        ' <a href="https://news.example.com/tech/story/#top">top</a></p>'
    )
    assert absolutize_html("<p>no links</p>", page, info) == "<p>no links</p>"


def test_xml_text_removes_what_xml_cannot_hold():
    assert xml_text("a\x00b\x0bc\x1fd\x7fe\ufffef\ud800g\tok\n") == "abcdefg\tok\n"
    clean = "正常 text & <tags>"
    assert xml_text(clean) is clean


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.sampled_from("a正，\x00\x0b\x1f\x7f\t\n\r\ufffe\uffff\ufffd\uff0c\ud800"), max_size=8
    )
)
def test_xml_safety_check_agrees_with_the_scrubber(value):
    assert is_xml_safe(value) == (xml_text(value) == value)


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
    assert b"\x00" not in xml_content(item)
    assert xml_content(item) == xml_content(dataclasses.replace(item, content_xml=None))
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
    newsroom.write(sections=False, tags=False, authors=False, archive=False)
    publish()
    assert set(newsroom.feeds()) == {"atom.xml", "rss.xml", "feed.json"}
    assert b"prev-archive" not in (newsroom.public / "atom.xml").read_bytes()
