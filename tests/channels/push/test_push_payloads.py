"""Payloads parsed as a partner would: ninjs against the 2.x rules, Atom XML, JSON Feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
from syndicate_channels.push.payloads import Meta, render, render_withdrawn
from syndicate_channels.push.signing import Signer, decode_secret, sign

ATOM = "{http://www.w3.org/2005/Atom}"
WHEN = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _text_items(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    props = {"role": {"type": "string"}, "contenttype": {"type": "string"}}
    props.update({"value": {"type": "string"}}, **(extra or {}))
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["value"],
            "additionalProperties": False,
            "properties": props,
        },
    }


def _concepts(*keys: str) -> dict[str, Any]:
    props = {k: {"type": "string"} for k in keys}
    return {
        "type": "array",
        "items": {"type": "object", "additionalProperties": False, "properties": props},
    }


RENDITIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            k: {"type": "string"} for k in ("name", "href", "contenttype", "title", "format")
        },
    },
}

# The ninjs 2.x rules our payload relies on (uri required; enums; closed item shapes;
# no property outside the standard), written down from the IPTC schema.
NINJS_2 = {
    "type": "object",
    "required": ["uri"],
    "additionalProperties": False,
    "properties": {
        "uri": {"type": "string", "pattern": "^tag:"},
        "standard": {"type": "object"},
        "type": {
            "enum": ["text", "audio", "video", "picture", "graphic", "composite", "component"]
        },
        "representationtype": {"enum": ["full", "partial"]},
        "version": {"type": "string", "pattern": "^[0-9]+$"},
        "firstcreated": {"type": "string", "format": "date-time"},
        "versioncreated": {"type": "string", "format": "date-time"},
        "pubstatus": {"enum": ["usable", "withheld", "canceled"]},
        "language": {"type": "string"},
        "slugline": {"type": "string"},
        "headlines": _text_items(),
        "descriptions": _text_items(),
        "bodies": _text_items({"wordcount": {"type": "number"}, "charcount": {"type": "number"}}),
        "by": {"type": "string"},
        "subjects": _concepts("name", "rel", "uri", "literal"),
        "infosources": _concepts("name", "role", "uri", "literal"),
        "located": {"type": "string"},
        "renditions": RENDITIONS,
        "associations": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "uri"]},
        },
    },
}


def _article(site: Any, **matter: Any) -> Any:
    site.article(
        "finance/markets",
        "sora",
        "Intro.\n\n## Part\n\nText & <more>.\n",
        title="Sora <b>& friends",
        summary="What text-to-video means.",
        authors=["Li Wei", "Zhang San"],
        tags=["AI", "film"],
        source={"name": "Chongqing Morning Post", "url": "https://example.com/o/1"},
        image={"src": "/media/sora.jpg", "alt": "A frame", "caption": "Cap", "credit": "CQ"},
        located="Chongqing",
        **matter,
    )
    site.static("media/sora.jpg")
    built = site.build()
    assert not built.problems
    return built.site, built.site.by_slug["sora"]


def test_ninjs_item_follows_the_2x_schema(site):
    s, article = _article(site)
    content_type, body = render("ninjs", article, s.info, 3, WHEN)
    item = json.loads(body)
    jsonschema.validate(item, NINJS_2, format_checker=jsonschema.FormatChecker())
    assert content_type == "application/json"
    assert item["uri"] == article.uid and item["version"] == "3"
    assert item["headlines"][0]["value"] == "Sora <b>& friends"
    assert item["by"] == "Li Wei, Zhang San"
    assert {x["name"] for x in item["subjects"] if x["rel"] == "tag"} == {"AI", "film"}
    assert item["located"] == "Chongqing"
    renditions = {r["name"]: r for r in item["renditions"]}
    assert renditions["leadimage"]["href"] == "https://news.example.com/media/sora.jpg"
    assert renditions["leadimage"]["contenttype"] == "image/jpeg"
    assert renditions["web"]["href"] == article.url
    assert item["infosources"][0]["uri"] == "https://example.com/o/1"
    assert item["associations"][0]["by"] == "CQ"


def test_withdrawn_ninjs_is_valid_and_carries_status(site):
    s, article = _article(site)
    _, body = render_withdrawn("ninjs", article.uid, Meta.of(article), s.info, 4, "canceled", WHEN)
    item = json.loads(body)
    jsonschema.validate(item, NINJS_2, format_checker=jsonschema.FormatChecker())
    assert (item["pubstatus"], item["version"], item["uri"]) == ("canceled", "4", article.uid)


def test_atom_entry_document_escapes_and_identifies(site):
    s, article = _article(site)
    content_type, body = render("atom", article, s.info, 1, WHEN)
    assert content_type == "application/atom+xml;type=entry"
    entry = ET.fromstring(body)
    assert entry.tag == ATOM + "entry"
    assert entry.findtext(ATOM + "id") == article.uid
    assert entry.findtext(ATOM + "title") == "Sora <b>& friends"
    assert "<h2" in (entry.findtext(ATOM + "content") or "")
    assert [a.findtext(ATOM + "name") for a in entry.iter(ATOM + "author")] == [
        "Li Wei",
        "Zhang San",
    ]
    _, tomb = render_withdrawn("atom", article.uid, Meta.of(article), s.info, 2, "withheld", WHEN)
    root = ET.fromstring(tomb)
    assert root.tag == "{http://purl.org/atompub/tombstones/1.0}deleted-entry"
    assert root.get("ref") == article.uid


JSONFEED_1_1 = {
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string"},
                    "url": {"type": "string", "format": "uri"},
                    "date_published": {"type": "string", "format": "date-time"},
                    "date_modified": {"type": "string", "format": "date-time"},
                    "authors": {"type": "array", "items": {"required": ["name"]}},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "patternProperties": {"^_": {"type": "object"}},
            },
        },
    },
}


def test_jsonfeed_document_holds_the_one_item(site):
    # feedparser 6 has no JSON Feed support; check the JSON Feed 1.1 rules directly.
    s, article = _article(site)
    content_type, body = render("jsonfeed", article, s.info, 2, WHEN)
    feed = json.loads(body)
    jsonschema.validate(feed, JSONFEED_1_1, format_checker=jsonschema.FormatChecker())
    [item] = feed["items"]
    assert content_type == "application/feed+json"
    assert item["id"] == article.uid and item["title"] == "Sora <b>& friends"
    assert item["_syndicate"] == {"version": 2, "pubstatus": "usable"}
    _, gone = render_withdrawn(
        "jsonfeed", article.uid, Meta.of(article), s.info, 3, "canceled", WHEN
    )
    withdrawn = json.loads(gone)
    jsonschema.validate(withdrawn, JSONFEED_1_1, format_checker=jsonschema.FormatChecker())
    assert withdrawn["items"][0]["_syndicate"] == {"version": 3, "pubstatus": "canceled"}


def test_signature_matches_the_standard_webhooks_reference_vector(monkeypatch):
    # The test vector published with the Standard Webhooks reference libraries.
    monkeypatch.setenv("REF_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    from syndicate.config import Secret

    key = decode_secret(Secret("REF_SECRET"))
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_rotation_signs_with_both_keys_and_bad_secrets_are_named(monkeypatch, push):
    import pytest
    from syndicate_channels.push.settings import Auth

    from syndicate.errors import ConfigError

    monkeypatch.setenv("OLD_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    auth = Auth.model_validate(
        {"secret": "${" + push.secret_env + "}", "previous_secret": "${OLD_SECRET}"}
    )
    headers = Signer(auth).headers("msg_1", 1700000000, b"{}")
    assert len(dict(headers)[b"webhook-signature"].split(b" ")) == 2
    assert repr(Signer(auth)) == "Signer(<redacted>)"
    monkeypatch.setenv("SHORT_SECRET", "whsec_c2hvcnQ=")
    with pytest.raises(ConfigError, match=r"SHORT_SECRET.*24-64"):
        Signer(Auth.model_validate({"secret": "${SHORT_SECRET}"}))
    monkeypatch.setenv("JUNK_SECRET", "whsec_not base64!")
    with pytest.raises(ConfigError, match="JUNK_SECRET") as info:
        Signer(Auth.model_validate({"secret": "${JUNK_SECRET}"}))
    assert "not base64" not in str(info.value)
