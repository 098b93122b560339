"""ninjs from this project's own push payloads, a single ninjs item, and the good-citizen
limits: concurrency, redirect loops, decompressed size."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from conftest import SiteFactory
from ingest_feedserver import FeedServer, source
from syndicate_channels.push.payloads import ninjs

from syndicate.config import load_config


def wire_items(root: Path) -> list[dict[str, object]]:
    wire = SiteFactory(root)
    wire.write_config(site={"title": "Wire", "base_url": "https://wire.example.com/"})
    wire.article(
        "world", "harbour", "The harbour reopened.\n", title="Harbour reopens",
        published="2024-02-20T09:30:00+08:00", tags=["shipping"], authors=["Desk"],
        image={"src": "/img/h.jpg", "alt": "Ships", "caption": "Ships return"},
    )  # fmt: skip
    wire.article(
        "world", "storm", "A storm.\n", title="Storm warning",
        published="2024-02-19T09:30:00+08:00",
    )  # fmt: skip
    (root / "static/img").mkdir(parents=True)  # the wire's lead image exists
    (root / "static/img/h.jpg").write_bytes(b"\xff\xd8\xff")
    built = wire.build()
    info = load_config(wire.config_path).site
    created = datetime(2024, 2, 21, tzinfo=UTC)
    return [json.loads(ninjs(a, info, 1, created)) for a in built.site.articles]


def test_ninjs_list_and_single_item(
    site: SiteFactory, feed_server: FeedServer, tmp_path: Path
) -> None:
    items = wire_items(tmp_path / "wire")
    listing = feed_server.serve("/ninjs", json.dumps(items), "application/json")
    single = feed_server.serve("/one", json.dumps(dict(items[0], uri="urn:x:1")), "text/plain")
    site.write_config(
        sources=[source("Wire", listing, "world"), source("One", single, "one", format="ninjs")]
    )
    result = site.cli("ingest")
    assert result.exit_code == 0, result.output
    built = site.build(drafts=True)
    assert not built.problems, built.problems
    by_section = {(a.section, a.title): a for a in built.site.articles}
    harbour = by_section["world", "Harbour reopens"]
    assert harbour.source is not None
    assert harbour.source.url == "https://wire.example.com/world/harbour/"
    assert harbour.canonical == "https://wire.example.com/world/harbour/"
    assert harbour.tags == ("shipping",) and harbour.authors == ("Desk",)
    assert harbour.image is not None and harbour.image.src == "https://wire.example.com/img/h.jpg"
    assert harbour.image.caption == "Ships return"
    assert "The harbour reopened." in harbour.body_html
    assert harbour.draft
    assert ("world", "Storm warning") in by_section
    assert ("one", "Harbour reopens") in by_section  # another uri: another story


def test_sources_are_fetched_concurrently(site: SiteFactory, feed_server: FeedServer) -> None:
    def item(n: int) -> str:
        return json.dumps(
            [{"uri": f"urn:a:{n}", "headlines": [{"value": "A"}], "firstcreated": "2024"}]
        )

    slow = [feed_server.serve(f"/slow{n}", item(n), "application/json", hang=1.0) for n in range(3)]
    site.write_config(sources=[source(f"S{n}", url, f"s{n}") for n, url in enumerate(slow)])
    started = time.monotonic()
    result = site.cli("ingest")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 2.5  # one after another would take 3 s
    # The same headline three times: slugs stay unique site-wide.
    assert sorted(p.name for p in site.content.rglob("*.md")) == ["a-2.md", "a-3.md", "a.md"]


def test_redirect_loops_and_decompressed_size_are_limited(
    site: SiteFactory, feed_server: FeedServer
) -> None:
    loop = feed_server.serve("/loop", "", status=302, headers={"Location": "/loop"})
    moved = feed_server.serve("/moved", "", status=301, headers={"Location": "/bomb"})
    feed_server.serve("/bomb", "<rss>" + " " * 200_000 + "</rss>")
    assert len(gzip.compress(b" " * 200_000)) < 10_000
    site.write_config(
        sources=[
            source("Loop", loop, "a", max_redirects=3),
            source("Bomb", moved, "b", max_bytes=10_000),
        ]
    )
    result = site.cli("ingest")
    assert result.exit_code == 1
    assert "error: Loop: more than 3 redirects from" in result.output
    assert "error: Bomb: http://127.0.0.1:" in result.output
    assert "/bomb is over max_bytes (10,000 bytes); not read further" in result.output
    assert len(feed_server.seen("/loop")) == 4
    assert not site.content.exists()
