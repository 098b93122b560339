"""Unit edges of reading untrusted documents: charsets, DTDs and entities, dates,
addresses, and bodies that must survive the trip through Markdown unchanged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from syndicate_sources.atom import AtomAdapter
from syndicate_sources.ninjs import NinjsAdapter
from syndicate_sources.rss import RssAdapter

from syndicate.ingest.adapter import SourceError
from syndicate.ingest.articles import body_markdown, permanent_id
from syndicate.ingest.documents import _has_doctype, decode, parse_date, parse_xml, plain_text
from syndicate.ingest.netguard import check_public
from syndicate.markdown import render_body
from syndicate.model import SiteInfo

INFO = SiteInfo("T", "https://news.example.com/", "en", None, "", "news.example.com", "2024")


@pytest.mark.parametrize(
    ("declared", "codec"),
    [("GB2312", "gb18030"), ("GBK", "gb18030"), ("gb18030", "gb18030"), ("Big5", "big5hkscs")],
)
def test_chinese_charsets_decode_as_their_supersets(declared: str, codec: str) -> None:
    text = "镕" if codec == "gb18030" else "臺灣"  # 镕 is GBK, not GB2312
    data = f'<?xml version="1.0" encoding="{declared}"?><t>{text}</t>'.encode(codec)
    decoded, problems = decode(data, "text/xml", xml=True)
    assert text in decoded and not problems


def test_http_charset_wins_and_bad_bytes_are_reported() -> None:
    data = '<?xml version="1.0" encoding="utf-8"?><t>新聞</t>'.encode("big5")
    decoded, problems = decode(data, "application/xml; charset=big5", xml=True)
    assert "新聞" in decoded and not problems
    decoded, problems = decode(b"<t>\xff\xfe ok</t>", "", xml=True)
    assert "ok" in decoded and problems == [
        "bytes not valid utf-8 (declared in the default) replaced, the first at byte 3"
    ]
    with pytest.raises(SourceError, match="unknown charset 'klingon'"):
        decode(b"<t/>", "text/xml; charset=klingon", xml=True)


@pytest.mark.parametrize(
    "document",
    [
        '<!DOCTYPE rss [<!ENTITY a "b">]><rss/>',
        '<?xml version="1.0"?>\n<!-- hi -->\n<!doctype rss SYSTEM "http://evil/x.dtd"><rss/>',
        '\ufeff<?xml version="1.0"?><?pi x?><!DOCTYPE rss><rss/>',
    ],
)
def test_any_doctype_is_refused_before_parsing(document: str) -> None:
    with pytest.raises(SourceError, match="DOCTYPE refused"):
        parse_xml(document.encode(), "")


def test_prolog_scan_is_linear() -> None:
    """Whitespace and comments by the megabyte must not make the DOCTYPE check backtrack
    (a nested-quantifier regex took exponential time here)."""
    hostile = "\ufeff" + " \n" * 500_000 + "<!-- a -->" * 100_000 + "<!-- x"
    with pytest.raises(SourceError, match="not well-formed XML"):
        parse_xml(hostile.encode(), "")
    assert not _has_doctype(" " * 100 + "<!-- <!DOCTYPE x> -->" + "<rss/>")
    assert _has_doctype("<?xml version='1.0'?><!-- c --><?pi?>\n<!doctype rss>")


def test_doctype_text_inside_content_is_fine() -> None:
    root, _ = parse_xml(b"<rss><d><![CDATA[<!DOCTYPE html><p>x</p>]]></d></rss>", "")
    assert root.find("d").text.startswith("<!DOCTYPE html>")


def test_html_entity_names_need_no_dtd() -> None:
    root, _ = parse_xml(b"<t>a&nbsp;b &copy; &amp;c</t>", "")
    assert root.text == "a\xa0b \xa9 &c"
    with pytest.raises(SourceError, match="not well-formed XML"):
        parse_xml(b"<t>&madeup;</t>", "")


def test_malformed_xml_is_one_clear_line() -> None:
    with pytest.raises(SourceError, match="not well-formed XML"):
        RssAdapter().parse(b"<rss><channel><item></channel></rss>", "", "https://x.example/")
    with pytest.raises(SourceError, match="not RSS"):
        RssAdapter().parse(b"<feed/>", "", "https://x.example/")
    with pytest.raises(SourceError, match="not Atom"):
        AtomAdapter().parse(b"<rss/>", "", "https://x.example/")
    with pytest.raises(SourceError, match="not a ninjs item"):
        NinjsAdapter().parse(b'{"title": "x"}', "", "https://x.example/")


def test_dates() -> None:
    assert parse_date("Tue, 20 Feb 2024 09:30:00 +0800") == datetime(
        2024, 2, 20, 9, 30, tzinfo=timezone(timedelta(hours=8))
    )
    assert parse_date("2024-02-20T01:30:00Z") == datetime(2024, 2, 20, 1, 30, tzinfo=UTC)
    assert parse_date("2024-02-20") == datetime(2024, 2, 20, tzinfo=UTC)
    assert parse_date("next tuesday") is None and parse_date("") is None


def test_titles_lose_markup() -> None:
    assert plain_text("<b>Sora</b> &amp; <script>x()</script>friends\n ok") == "Sora & friends ok"
    assert plain_text("a < b") == "a < b"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::1]", "[::ffff:10.0.0.1]"],
)
def test_private_addresses_are_refused(address: str) -> None:
    with pytest.raises(SourceError, match="refused"):
        asyncio.run(check_public(f"http://{address}/feed"))


def test_public_address_passes() -> None:
    asyncio.run(check_public("http://93.184.215.14/feed"))


@pytest.mark.parametrize(
    "html",
    [
        "<p>One *not emphasis* and 4 spaces:</p>\n\n    <p>still HTML</p>",
        "Text first, <em>inline</em> and _underscores_\n\n# not a heading",
        "<pre>line 1\n\n\n    indented\n</pre>\n<p>after</p>",
    ],
)
def test_bodies_pass_through_markdown_unchanged(html: str) -> None:
    rendered = render_body(body_markdown(html)).body.html
    assert "<em>not emphasis</em>" not in rendered
    assert "<h1" not in rendered and "<code>" not in rendered
    if "<pre>" in html:
        assert "<pre>line 1\n\n\n    indented\n</pre>" in rendered
    else:
        assert "_underscores_" in rendered or "still HTML" in rendered


def test_permanent_ids() -> None:
    global_id = permanent_id(INFO, "A", "tag:partner.example.com,2024:1")
    assert global_id == permanent_id(INFO, "B", "tag:partner.example.com,2024:1")
    assert permanent_id(INFO, "A", "12345") != permanent_id(INFO, "B", "12345")
    assert global_id.startswith("tag:news.example.com,2024:ingest/")


def test_requests_go_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the address that passed the check is the one connected to, with
    the original name as Host (and SNI for https)."""
    import httpx
    import respx

    from syndicate.ingest import netguard
    from syndicate.ingest.fetch import fetch
    from syndicate.ingest.settings import SourceSettings

    answers = iter([["93.184.215.14"], ["127.0.0.1"]])  # a second lookup would rebind

    async def resolve(self: object, host: str, *args: object, **kw: object) -> list[object]:
        return [(2, 1, 6, "", (address, 0)) for address in next(answers)]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", resolve)
    source = SourceSettings(name="P", url="https://partner.example.com:8443/feed", section="a")

    async def run() -> bytes:
        async with httpx.AsyncClient() as client:
            return (await fetch(client, source, None)).data

    with respx.mock(assert_all_called=True) as mock:
        route = mock.get("https://93.184.215.14:8443/feed").respond(200, content=b"<rss/>")
        assert asyncio.run(run()) == b"<rss/>"
    request = route.calls.last.request
    assert request.headers["host"] == "partner.example.com:8443"
    assert request.extensions["sni_hostname"] == "partner.example.com"
    assert netguard.pinned("http://u:p@[::1]/x", "::1")[0] == "http://u:p@[::1]/x"


def test_rss_author_address_and_base() -> None:
    feed = RssAdapter().parse(
        b"<rss><channel><link>https://cq.example.com/news/</link><item><title>T</title>"
        b"<author>li@cq.example.com (Li Wei)</author><author>desk@cq.example.com</author>"
        b"<link>a/1.html</link></item></channel></rss>",
        "application/rss+xml",
        "https://cdn.example.net/feed.xml",
    )
    entry = feed.entries[0]
    assert entry.authors == ("Li Wei", "desk@cq.example.com")
    assert feed.base == "https://cq.example.com/news/"  # the site, not the CDN
