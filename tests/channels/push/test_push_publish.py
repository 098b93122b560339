"""`syndicate publish` fills the outbox: new, updated, withdrawn; per-partner filters; WebSub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest


def _go(site: Any, *args: str) -> Any:
    result = site.cli(*args)
    assert result.exit_code == 0, result.output
    return result


def _received(receiver: Any) -> list[dict[str, Any]]:
    return [s.json() for s in receiver.seen if s.answer == "200"]


def test_updated_and_withdrawn_articles_keep_uri_and_raise_version(site, push, receiver):
    site.article("news", "kept", "Kept.\n")
    site.article("news", "edited", "Original text.\n")
    site.article("news", "removed", "Soon gone.\n")
    site.article("news", "hidden", "Soon a draft.\n")
    site.write_config(channels=push.settings(push.partner(receiver.url)))
    _go(site, "publish", "--channels", "push")
    _go(site, "push")
    first = {p["uri"]: p for p in _received(receiver)}
    assert len(first) == 4
    assert {p["version"] for p in first.values()} == {"1"}
    assert {p["pubstatus"] for p in first.values()} == {"usable"}

    site.article("news", "edited", "Corrected text.\n")
    (site.content / "news" / "removed.md").unlink()
    site.article("news", "hidden", "Soon a draft.\n", draft=True)
    _go(site, "publish", "--channels", "push")
    receiver.seen.clear()
    _go(site, "push")
    second = {p["uri"]: p for p in _received(receiver)}
    assert len(second) == 3  # "kept" did not change: not sent again
    by_slug = {uri.rsplit("/", 1)[1]: p for uri, p in second.items()}
    assert set(by_slug) == {"edited", "removed", "hidden"}
    for slug, payload in by_slug.items():
        uri = next(u for u in first if u.endswith("/" + slug))
        assert payload["uri"] == uri
        assert int(payload["version"]) == int(first[uri]["version"]) + 1
    assert "Corrected text." in by_slug["edited"]["bodies"][0]["value"]
    assert by_slug["edited"]["pubstatus"] == "usable"
    assert by_slug["removed"]["pubstatus"] == "canceled"  # the file is gone for good
    assert by_slug["hidden"]["pubstatus"] == "withheld"  # a draft now; may come back

    # Recording the same site again adds nothing: change detection, not the fast path.
    from syndicate_channels.push import PushChannel

    assert _channel(site, PushChannel).record(site.build().site) == 0
    rows = push.rows(site.root)
    assert len(rows) == 7
    assert len({(r["uid"], r["version"]) for r in rows}) == 7


def test_draft_returning_gets_next_version(site, push, receiver):
    site.article("news", "flip", "Text.\n")
    site.write_config(channels=push.settings(push.partner(receiver.url)))
    _go(site, "publish", "--channels", "push")
    site.article("news", "flip", "Text.\n", draft=True)
    _go(site, "publish", "--channels", "push")
    site.article("news", "flip", "Text.\n")
    _go(site, "publish", "--channels", "push")
    _go(site, "push", "--drain")
    payloads = _received(receiver)
    assert [(p["version"], p["pubstatus"]) for p in payloads] == [
        ("1", "usable"),
        ("2", "withheld"),
        ("3", "usable"),
    ]


def test_partners_get_only_matching_sections_and_tags(site, push, receiver):
    site.article("finance/markets", "stocks", "Stocks.\n")
    site.article("sports", "match", "Match.\n", tags=["AI"])
    site.article("sports", "other", "Other.\n")
    partners = [
        push.partner(receiver.url, name="money", sections=["finance"]),
        push.partner(receiver.url, name="tech", tags=["ai"]),
        push.partner(receiver.url, name="all"),
    ]
    site.write_config(channels=push.settings(*partners))
    _go(site, "publish", "--channels", "push")
    got = {(r["partner"], r["uid"].rsplit("/", 1)[1]) for r in push.rows(site.root)}
    assert got == {
        ("money", "stocks"),
        ("tech", "match"),
        ("all", "stocks"),
        ("all", "match"),
        ("all", "other"),
    }


def test_payload_formats_reach_partner(site, push, receiver):
    site.article("news", "story", "Body **bold**.\n", summary="Short.", authors=["Li Wei"])
    partners = [
        push.partner(receiver.url, name="n"),
        push.partner(receiver.url, name="a", format="atom"),
        push.partner(receiver.url, name="j", format="jsonfeed"),
    ]
    site.write_config(channels=push.settings(*partners))
    _go(site, "publish", "--channels", "push")
    _go(site, "push")
    types = sorted(s.headers["content-type"] for s in receiver.seen)
    assert types == ["application/atom+xml;type=entry", "application/feed+json", "application/json"]
    assert all(s.verified for s in receiver.seen)


class Hub:
    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []


@pytest.fixture
def hub() -> Iterator[tuple[Hub, str]]:
    state = Hub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            assert self.headers["content-type"] == "application/x-www-form-urlencoded"
            state.pings.append(parse_qs(self.rfile.read(length).decode()))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hub"
    server.shutdown()
    server.server_close()


def test_websub_ping_for_changed_feeds_only(site, push, hub, caplog):
    state, url = hub
    site.article("news", "story", "Body.\n")
    dead_hub = "http://127.0.0.1:9/hub"  # nothing listens: a warning, not a failure
    site.write_config(channels=push.settings(hubs=[url, dead_hub]))
    from syndicate_channels.push import PushChannel

    from syndicate.channel import PublishReport

    built = site.build()
    channel = _channel(site, PushChannel)
    report = PublishReport(built.site, ("atom.xml", "news/feed.json", "news/story/index.html"), ())
    channel.after_publish(report)
    urls = sorted(p["hub.url"][0] for p in state.pings)
    assert urls == ["https://news.example.com/atom.xml", "https://news.example.com/news/feed.json"]
    assert all(p["hub.mode"] == ["publish"] for p in state.pings)
    assert any("127.0.0.1:9" in r.getMessage() for r in caplog.records)

    state.pings.clear()
    channel.after_publish(PublishReport(built.site, ("news/story/index.html",), ()))
    assert state.pings == []


def test_site_websub_hubs_are_pinged_through_a_real_publish(site, hub):
    state, url = hub
    site.article("news", "story", "Body.\n")
    site.settings["site"]["websub_hubs"] = [url]
    site.write_config()
    result = site.cli("publish", "--channels", "feeds,push")
    assert result.exit_code == 0, result.output
    pinged = {p["hub.url"][0] for p in state.pings}
    assert "https://news.example.com/atom.xml" in pinged
    assert "https://news.example.com/news/rss.xml" in pinged


def _channel(site: Any, cls: Any) -> Any:
    from syndicate.pipeline import make_channels

    config = site.config()
    [channel] = [c for c in make_channels(config, ["push"], config.output_dir)]
    assert isinstance(channel, cls)
    return channel


def test_unknown_setting_and_missing_secret_reference_are_config_errors(site, push, receiver):
    site.article("news", "story", "Body.\n")
    bad = push.partner(receiver.url)
    bad["auth"] = {"secret": "whsec_literal-in-file"}
    site.write_config(channels=push.settings(bad))
    result = site.cli("publish", "--channels", "push")
    assert result.exit_code == 1
    assert "channels.push.partners.0.auth.secret" in result.output
    assert "whsec_literal" not in result.output
