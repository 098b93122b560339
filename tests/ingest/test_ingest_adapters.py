"""A newsroom's own source adapter, registered through the `syndicate.sources` entry
point group (the worked example of docs/architecture.md), next to the built-in ones."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest
from conftest import SiteFactory
from ingest_feedserver import FeedServer, source

import syndicate.ingest.runner as runner
from syndicate.ingest.adapter import source_entry_points


@pytest.fixture
def wire_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = (
        EntryPoint("wire", "sample_source:WireAdapter", "syndicate.sources"),
        EntryPoint("broken", "sample_source:Missing", "syndicate.sources"),
    )
    monkeypatch.setattr(runner, "source_entry_points", lambda: (*source_entry_points(), *extra))


def test_built_in_adapters_are_entry_points() -> None:
    assert {e.name for e in source_entry_points()} >= {"rss", "atom", "jsonfeed", "ninjs"}


def test_own_adapter_is_found_and_sniffed(
    site: SiteFactory, feed_server: FeedServer, wire_adapter: None
) -> None:
    document = {
        "wireItems": [
            {
                "guid": "W-1",
                "headline": "Port strike ends",
                "webUrl": "https://wire.example.com/w-1",
                "html": "<p>Dockers return.</p>",
                "issued": "2024-02-20T01:00:00Z",
            },
            {"guid": "W-2", "headline": "Undated", "issued": "someday"},
        ]
    }
    url = feed_server.serve("/wire", json.dumps(document), "application/json")
    site.write_config(sources=[source("Wire", url, "wire", publish="auto")])
    result = site.cli("ingest")
    assert result.exit_code == 0, result.output
    assert "Wire: 2 entries (wire)" in result.output
    assert "warning: Wire: entry 2: issued 'someday' is not a date" in result.output
    assert "warning: source adapter 'broken' (sample_source:Missing) failed to load" in (
        result.output
    )
    built = site.build()
    assert not built.problems
    strike = next(a for a in built.site.articles if a.title == "Port strike ends")
    assert "Dockers return." in strike.body_html
    assert strike.source is not None and strike.source.url == "https://wire.example.com/w-1"


def test_unknown_format_and_unrecognised_documents(
    site: SiteFactory, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/page", "<html><body>hi</body></html>", "text/html")
    site.write_config(sources=[source("Page", url, "a"), source("Typo", url, "b", format="rs")])
    result = site.cli("ingest")
    assert result.exit_code == 1
    assert "error: Page: not a feed any installed adapter reads" in result.output
    assert "error: Typo: format 'rs': no such source adapter (installed: atom, jsonfeed" in (
        result.output
    )
