"""Feed validity: JSON Feed 1.1 against its schema, Atom and RSS against the rules of the
W3C Feed Validation Service.

The W3C validator is not installable offline (it is not on PyPI and the service is not
reachable from CI), so the rules it reports as errors for our kind of feed are encoded
here: RFC 4287 required elements and RFC 3339 dates, ids that are IRIs and unique, a
self link matching the file's URL, registered link relations, RSS 2.0 required channel
and item elements, RFC 822 dates, guid isPermaLink, no <enclosure> without a positive
length, media:content outside a single-child media:group, no control characters.
"""

from __future__ import annotations

import email.utils
import json
import re

import jsonschema
import pytest
from lxml import etree

BASE = "https://news.example.com/"
ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
MIME = re.compile(r"^[a-z]+/[a-z0-9.+-]+$")
# The relations the W3C validator knows for Atom (IANA + RFC 5005 + WebSub).
ATOM_RELS = {
    "alternate", "current", "enclosure", "first", "hub", "last", "next", "next-archive",
    "prev-archive", "previous", "related", "self", "via",
}  # fmt: skip
FEED_HISTORY_RELS = {"current", "first", "last", "next", "next-archive", "prev-archive"}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

JSON_FEED_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string"},
        "home_page_url": {"type": "string", "format": "uri"},
        "feed_url": {"type": "string", "format": "uri"},
        "description": {"type": "string"},
        "language": {"type": "string"},
        "authors": {"type": "array", "items": {"$ref": "#/$defs/author"}},
        "hubs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "url"],
                "properties": {"type": {"type": "string"}, "url": {"type": "string"}},
            },
        },
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
    },
    "$defs": {
        "author": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "name": {"type": "string"},
                "url": {"type": "string"},
                "avatar": {"type": "string"},
            },
        },
        "item": {
            "type": "object",
            "required": ["id"],
            "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "url": {"type": "string", "format": "uri"},
                "external_url": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "content_html": {"type": "string"},
                "content_text": {"type": "string"},
                "summary": {"type": "string"},
                "image": {"type": "string", "format": "uri"},
                "date_published": {"type": "string", "format": "date-time"},
                "date_modified": {"type": "string", "format": "date-time"},
                "authors": {"type": "array", "items": {"$ref": "#/$defs/author"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "language": {"type": "string"},
            },
            "patternProperties": {"^_[a-zA-Z]": {"type": "object"}},
            "additionalProperties": False,
        },
    },
}


def check_atom(path: str, data: bytes) -> None:
    root = etree.fromstring(data)
    assert root.tag == f"{ATOM}feed", path
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, f"{path}: feed needs one {name}"
    assert IRI.match(root.findtext(f"{ATOM}id")), path
    assert RFC3339.match(root.findtext(f"{ATOM}updated")), path
    feed_has_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    rels = [link.get("rel", "alternate") for link in root.findall(f"{ATOM}link")]
    selfs = [lk.get("href") for lk in root.findall(f"{ATOM}link") if lk.get("rel") == "self"]
    assert selfs == [BASE + path], f"{path}: self link must be the feed's own URL"
    assert rels.count("alternate") <= 1
    for link in root.iter(f"{ATOM}link"):
        assert link.get("rel", "alternate") in ATOM_RELS, f"{path}: rel {link.get('rel')}"
        assert IRI.match(link.get("href")), f"{path}: href {link.get('href')}"
        if link.get("type"):
            assert MIME.match(link.get("type")), path
        if link.get("length") is not None:
            assert link.get("length").isdigit()
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, f"{path}: entry needs one {name}"
        ids.append(entry.findtext(f"{ATOM}id"))
        assert IRI.match(ids[-1])
        for name in ("updated", "published"):
            value = entry.findtext(f"{ATOM}{name}")
            assert value is None or RFC3339.match(value), f"{path}: {name} {value}"
        links = entry.findall(f"{ATOM}link")
        alternates = [lk for lk in links if lk.get("rel", "alternate") == "alternate"]
        assert alternates or entry.find(f"{ATOM}content") is not None
        assert len(alternates) <= 1
        assert not {lk.get("rel") for lk in links} & FEED_HISTORY_RELS
        assert feed_has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        for kind in ("title", "summary", "content"):
            element = entry.find(f"{ATOM}{kind}")
            if element is not None:
                assert element.get("type", "text") in ("text", "html"), path
        for category in entry.findall(f"{ATOM}category"):
            assert category.get("term")
            assert category.get("scheme") is None or IRI.match(category.get("scheme"))
    assert len(ids) == len(set(ids)), f"{path}: duplicate ids"
    check_media(path, root)


def check_rss(path: str, data: bytes) -> None:
    root = etree.fromstring(data)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), f"{path}: channel needs {name}"
    assert IRI.match(channel.findtext("link"))
    selfs = [lk.get("href") for lk in channel.findall(f"{ATOM}link") if lk.get("rel") == "self"]
    assert selfs == [BASE + path], f"{path}: atom:link rel=self must be the feed's own URL"
    for name in ("lastBuildDate", "pubDate"):
        value = channel.findtext(name)
        assert value is None or email.utils.parsedate_to_datetime(value).tzinfo is not None
    guids = []
    for item in channel.findall("item"):
        assert item.findtext("title") or item.findtext("description")
        assert IRI.match(item.findtext("link"))
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") in ("true", "false")
        if guid.get("isPermaLink") == "true":
            assert guid.text.startswith(("http://", "https://"))
        guids.append(guid.text)
        email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        assert item.find("author") is None or "@" in item.findtext("author")
        for enclosure in item.findall("enclosure"):
            assert int(enclosure.get("length")) > 0
            assert MIME.match(enclosure.get("type"))
            assert enclosure.get("url").startswith(("http://", "https://"))
    assert len(guids) == len(set(guids))
    check_media(path, root)


def check_media(path: str, root: etree._Element) -> None:
    for group in root.iter(f"{MEDIA}group"):
        assert len(group.findall(f"{MEDIA}content")) >= 2, f"{path}: media:group of one"
    for content in root.iter(f"{MEDIA}content"):
        assert IRI.match(content.get("url"))
        assert content.get("medium") in (None, "image", "audio", "video", "document")
        assert content.get("type") is None or MIME.match(content.get("type"))


@pytest.fixture
def published(newsroom, publish):
    newsroom.write(hub="https://hub.example.net/")
    newsroom.site.article("tech", "no-authors", "Text.\n", title="Unsigned")
    publish()
    return newsroom.feeds()


def test_atom_and_rss_follow_the_validator_rules(published):
    atom = [p for p in published if p.endswith("atom.xml")]
    rss = [p for p in published if p.endswith("rss.xml")]
    assert len(atom) > 10 and len(rss) > 5
    for path in atom:
        check_atom(path, published[path])
    for path in rss:
        check_rss(path, published[path])
    for path, data in published.items():
        assert not CONTROL.search(data.decode("utf-8")), path
        assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>") or path.endswith(".json")


def test_json_feeds_match_the_json_feed_schema(published):
    checker = jsonschema.Draft202012Validator(
        JSON_FEED_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    paths = [p for p in published if p.endswith("feed.json")]
    assert paths
    for path in paths:
        document = json.loads(published[path])
        errors = [e.message for e in checker.iter_errors(document)]
        assert not errors, f"{path}: {errors}"
        assert document["feed_url"] == BASE + path
        assert document["hubs"] == [{"type": "WebSub", "url": "https://hub.example.net/"}]


def test_schema_check_is_not_vacuous():
    checker = jsonschema.Draft202012Validator(JSON_FEED_SCHEMA)
    bad = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "x"}]}
    assert list(checker.iter_errors(bad))


def test_hub_is_announced_in_atom_and_rss(published):
    atom = etree.fromstring(published["atom.xml"])
    assert [lk.get("href") for lk in atom.findall(f"{ATOM}link") if lk.get("rel") == "hub"] == [
        "https://hub.example.net/"
    ]
    channel = etree.fromstring(published["finance/rss.xml"]).find("channel")
    assert [lk.get("href") for lk in channel.findall(f"{ATOM}link") if lk.get("rel") == "hub"] == [
        "https://hub.example.net/"
    ]
    # The RSS channel <link> is the HTML page, not the last atom:link added.
    assert channel.findtext("link") == BASE + "finance/"


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        ("atom.xml", b'rel="self"', b'rel="myself"'),
        ("atom.xml", b"<updated>2024", b"<updated>24"),
        ("rss.xml", b'isPermaLink="false"', b'isPermaLink="no"'),
        ("rss.xml", b"<pubDate>", b"<pubDate>Someday "),
        (
            "rss.xml",
            b"<guid ",
            b'<enclosure url="https://x/a.jpg" length="0" type="image/jpeg"/><guid ',
        ),
    ],
)
def test_rule_checks_catch_broken_feeds(published, path, old, new):
    broken = published[path].replace(old, new, 1)
    assert broken != published[path]
    check = check_atom if path.endswith("atom.xml") else check_rss
    with pytest.raises((AssertionError, TypeError, ValueError)):
        check(path, broken)
