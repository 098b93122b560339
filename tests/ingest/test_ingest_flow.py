"""Feeds written by this project's own feeds channel, served on 127.0.0.1 and ingested by
another site: created with source and canonical, published pages pointing at the
original, conditional requests on the next run, updates, editors' changes kept aside,
and bad sources that stop nothing else."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import html5lib
import pytest
import yaml
from conftest import SiteFactory
from ingest_feedserver import FeedServer, source
from ingest_samples import BILLION_LAUGHS, XXE

PARTNER = {"title": "Chongqing Morning Post", "base_url": "https://partner.example.com/"}
NS = {"h": "http://www.w3.org/1999/xhtml"}


def partner_site(root: Path) -> SiteFactory:
    partner = SiteFactory(root)
    partner.write_config(site=dict(PARTNER, language="en", timezone="Asia/Shanghai"))
    partner.section("finance", "Finance")
    partner.article(
        "finance",
        "sora-film",
        "Industry figures weigh in.\n\nSee [the studio](/studios/a/).\n",
        title="Will Sora direct films?",
        published="2024-02-20T09:30:00+08:00",
        authors=["Li Wei"],
        tags=["AI"],
        summary="What text-to-video means for post-production.",
    )
    partner.article(
        "finance",
        "fund-flows",
        "Plain finance body.\n",
        title="Fund flows",
        published="2024-02-19T08:00:00+08:00",
    )
    return partner


def publish_feeds(partner: SiteFactory, server: FeedServer) -> dict[str, str]:
    result = partner.cli("--quiet", "publish", "--channels", "feeds")
    assert result.exit_code == 0, result.output
    public = partner.root / "public"
    kinds = {"atom.xml": "application/atom+xml", "rss.xml": "application/rss+xml"}
    kinds["feed.json"] = "application/feed+json"
    return {
        name: server.serve(f"/partner/{name}", (public / name).read_bytes(), kind)
        for name, kind in kinds.items()
    }


def front(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    return data


@pytest.fixture
def partner(tmp_path: Path) -> SiteFactory:
    return partner_site(tmp_path / "partner")


def test_own_feeds_ingested_published_and_refetched(
    site: SiteFactory, partner: SiteFactory, feed_server: FeedServer
) -> None:
    urls = publish_feeds(partner, feed_server)
    site.write_config(
        sources=[
            source("CQ Atom", urls["atom.xml"], "finance/partners", publish="auto"),
            source("CQ RSS", urls["rss.xml"], "finance/partners"),
            source("CQ JSON", urls["feed.json"], "finance/partners"),
        ]
    )
    first = site.cli("ingest", "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    kinds = {s["name"]: [a["kind"] for a in s["actions"]] for s in report["sources"]}
    # The partner's ids are global tag: URIs: three feeds, each story imported once.
    assert kinds == {"CQ Atom": ["create", "create"], "CQ RSS": [], "CQ JSON": []}
    files = sorted((site.content / "finance/partners").glob("*.md"))
    assert [f.name for f in files] == ["fund-flows.md", "will-sora-direct-films.md"]
    sora = front(files[1])
    assert sora["source"] == {
        "name": "CQ Atom",
        "url": "https://partner.example.com/finance/sora-film/",
    }
    assert sora["canonical"] == "https://partner.example.com/finance/sora-film/"
    assert sora["authors"] == ["Li Wei"] and sora["tags"] == ["Finance", "AI"]  # categories
    assert "draft" not in sora

    check = site.cli("check")
    assert check.exit_code == 0, check.output
    published = site.cli("--quiet", "publish", "--channels", "html")
    assert published.exit_code == 0, published.output
    page = (site.root / "public/finance/partners/will-sora-direct-films/index.html").read_text()
    tree = html5lib.parse(page, namespaceHTMLElements=True)
    canonical = tree.find(".//h:link[@rel='canonical']", NS)
    assert canonical is not None
    assert canonical.get("href") == "https://partner.example.com/finance/sora-film/"
    ld = [
        json.loads(s.text or "")
        for s in tree.iterfind(".//h:script[@type='application/ld+json']", NS)
    ]
    article = next(d for d in ld if d["@type"] == "NewsArticle")
    assert article["isBasedOn"] == "https://partner.example.com/finance/sora-film/"
    assert article["url"] == "https://news.example.com/finance/partners/will-sora-direct-films/"
    line = tree.find(".//h:p[@class='source']/h:a", NS)
    assert line is not None and line.text == "CQ Atom"
    assert line.get("href") == "https://partner.example.com/finance/sora-film/"
    sitemap = "".join(  # the index and every sitemap it names
        p.read_text(encoding="utf-8") for p in (site.root / "public").glob("sitemap*.xml")
    )
    assert "will-sora-direct-films" not in sitemap  # its canonical is the partner's page
    assert "https://news.example.com/finance/partners/</loc>" in sitemap
    body = tree.find(".//h:div[@class='body']", NS)
    assert body is not None
    links = [a.get("href") for a in body.iterfind(".//h:a", NS)]
    assert links == ["https://partner.example.com/studios/a/"]

    before = {f: f.read_bytes() for f in files}
    second = site.cli("ingest", "--json")
    assert second.exit_code == 0, second.output
    statuses = [s["status"] for s in json.loads(second.output)["sources"]]
    assert statuses == ["not-modified"] * 3
    for url_path in ("/partner/atom.xml", "/partner/rss.xml", "/partner/feed.json"):
        last = feed_server.seen(url_path)[-1]
        assert last.status == 304 and last.headers["if-none-match"]
        assert last.headers["if-modified-since"] == "Tue, 20 Feb 2024 01:30:00 GMT"
        assert last.headers["user-agent"].startswith("syndicate/")
        assert last.headers["user-agent"].endswith("(+https://news.example.com/)")
        assert "gzip" in last.headers["accept-encoding"]
    assert {f: f.read_bytes() for f in files} == before


def test_changed_entry_updates_and_edited_file_is_kept_aside(
    site: SiteFactory, partner: SiteFactory, feed_server: FeedServer
) -> None:
    urls = publish_feeds(partner, feed_server)
    site.write_config(sources=[source("CQ", urls["atom.xml"], "finance/partners")])
    assert site.cli("ingest").exit_code == 0
    sora = site.content / "finance/partners/will-sora-direct-films.md"
    flows = site.content / "finance/partners/fund-flows.md"

    partner.article(
        "finance", "sora-film", "Rewritten by the partner.\n",
        title="Will Sora direct films?", published="2024-02-20T09:30:00+08:00",
        updated="2024-02-22T10:00:00+08:00",
    )  # fmt: skip
    partner.article(
        "finance", "fund-flows", "Flows changed at the source.\n", title="Fund flows",
        published="2024-02-19T08:00:00+08:00", updated="2024-02-22T11:00:00+08:00",
    )  # fmt: skip
    edited = flows.read_text(encoding="utf-8").replace("draft: true", "draft: false")
    flows.write_text(edited + "<p>An editor's note.</p>\n", encoding="utf-8")
    publish_feeds(partner, feed_server)

    dry = site.cli("ingest", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would update     finance/partners/will-sora-direct-films.md" in dry.output
    assert "would keep aside finance/partners/fund-flows.md.incoming" in dry.output
    assert "Rewritten" not in sora.read_text(encoding="utf-8")

    result = site.cli("ingest")
    assert result.exit_code == 0, result.output
    assert "Rewritten by the partner." in sora.read_text(encoding="utf-8")
    assert front(sora)["updated"]
    assert "An editor's note." in flows.read_text(encoding="utf-8")
    aside = flows.with_name("fund-flows.md.incoming")
    assert "Flows changed at the source." in aside.read_text(encoding="utf-8")
    check = site.cli("check")
    assert check.exit_code == 0, check.output
    assert (
        "warning: content/finance/partners/fund-flows.md: changed here and at the source (CQ); "
        "the source's version is in content/finance/partners/fund-flows.md.incoming"
    ) in check.output

    # The editor takes the source's version: the next change at the source updates again.
    aside.replace(flows)
    assert "warning" not in site.cli("check").output
    partner.article(
        "finance", "fund-flows", "Third version.\n", title="Fund flows",
        published="2024-02-19T08:00:00+08:00", updated="2024-02-23T11:00:00+08:00",
    )  # fmt: skip
    publish_feeds(partner, feed_server)
    assert "updated" in site.cli("ingest").output
    assert "Third version." in flows.read_text(encoding="utf-8")

    # An entry gone at the source is listed by --prune, never deleted.
    (partner.content / "finance/sora-film.md").unlink()
    publish_feeds(partner, feed_server)
    assert site.cli("ingest").exit_code == 0
    assert sora.exists()
    prune = site.cli("ingest", "--prune")
    assert prune.output.strip() == (
        "content/finance/partners/will-sora-direct-films.md  (CQ: no longer listed by the source)"
    )


def test_bad_sources_stop_nothing_else(
    site: SiteFactory, partner: SiteFactory, feed_server: FeedServer
) -> None:
    urls = publish_feeds(partner, feed_server)
    hang = feed_server.serve("/hang.xml", "<rss/>", hang=5)
    broken = feed_server.serve("/500.xml", "oops", status=500)
    laughs = feed_server.serve("/laughs.xml", BILLION_LAUGHS)
    xxe = feed_server.serve("/xxe.xml", XXE)
    big = feed_server.serve("/big.xml", "<rss>" + "x" * 5000 + "</rss>")
    site.write_config(
        sources=[
            source("Hangs", hang, "a", timeout=0.5),
            source("Fails", broken, "b"),
            source("Laughs", laughs, "c"),
            source("XXE", xxe, "d"),
            source("Big", big, "e", max_bytes=1000),
            source("Good", urls["rss.xml"], "f"),
        ]
    )
    started = time.monotonic()
    result = site.cli("ingest")
    assert time.monotonic() - started < 4
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("error: Hangs: ") and "0.5s" in line for line in lines), lines
    assert any(line.startswith("error: Fails: HTTP 500") for line in lines), lines
    assert "error: Laughs: XML with a DOCTYPE refused" in result.output
    assert "error: XXE: XML with a DOCTYPE refused" in result.output
    assert any(line.startswith("error: Big: ") and "max_bytes" in line for line in lines), lines
    written = sorted(p.relative_to(site.content).as_posix() for p in site.content.rglob("*"))
    assert written == ["f", "f/fund-flows.md", "f/will-sora-direct-films.md"]


def test_retry_after_private_addresses_and_selection(
    site: SiteFactory, partner: SiteFactory, feed_server: FeedServer
) -> None:
    urls = publish_feeds(partner, feed_server)
    busy = feed_server.serve("/busy.xml", "", status=503, headers={"Retry-After": "120"})
    hop = feed_server.serve("/hop", "", status=302, headers={"Location": "http://10.0.0.1/x"})
    site.write_config(
        sources=[
            source("Busy", busy, "a"),
            source("Private", urls["rss.xml"], "b", allow_private_network=False),
            dict(source("Hop", hop, "c"), allow_private_network=False),
            source("Good", urls["atom.xml"], "d"),
        ]
    )
    only = site.cli("ingest", "--source", "Good")
    assert only.exit_code == 0 and not feed_server.seen("/busy.xml")
    first = site.cli("ingest")
    assert "error: Busy: HTTP 503 from" in first.output
    assert "error: Private: 127.0.0.1 resolves to 127.0.0.1" in first.output
    assert not feed_server.seen("/hop")  # refused before any request
    second = site.cli("ingest", "--source", "Busy", "--force")
    assert "Busy: asked to wait (Retry-After)" in second.output
    assert len(feed_server.seen("/busy.xml")) == 1
    unknown = site.cli("ingest", "--source", "Nope")
    assert unknown.exit_code == 1 and "no source named 'Nope'" in unknown.output


def test_lost_state_never_imports_twice_and_deleted_files_stay_deleted(
    site: SiteFactory, partner: SiteFactory, feed_server: FeedServer
) -> None:
    urls = publish_feeds(partner, feed_server)
    site.write_config(sources=[source("CQ", urls["rss.xml"], "finance/partners")])
    assert site.cli("ingest").exit_code == 0
    flows = site.content / "finance/partners/fund-flows.md"
    sora = site.content / "finance/partners/will-sora-direct-films.md"
    sora.unlink()  # an editor turned the story down
    (site.root / ".syndicate/state/ingest/state.json").unlink()

    again = site.cli("ingest", "--json")
    assert again.exit_code == 0, again.output
    kinds = [a["kind"] for a in json.loads(again.output)["sources"][0]["actions"]]
    # Without state, the id in the remaining file still says it was imported.
    assert kinds == ["create", "unchanged"]
    assert sorted(p.name for p in flows.parent.iterdir()) == [
        "fund-flows.md",
        "will-sora-direct-films.md",
    ]
    sora.unlink()
    partner.article(
        "finance", "sora-film", "New text.\n", title="Will Sora direct films?",
        published="2024-02-20T09:30:00+08:00", updated="2024-02-22T10:00:00+08:00",
    )  # fmt: skip
    publish_feeds(partner, feed_server)
    third = site.cli("ingest")
    assert third.exit_code == 0, third.output
    assert not sora.exists()  # known to the state and deleted by an editor: not brought back
