"""Hand-made partner feeds (GB18030, Big5, JSON Feed) served on 127.0.0.1 and ingested
for real through the CLI; the files written are read back by the project's own reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from ingest_feedserver import FeedServer, source
from ingest_samples import ATOM_BIG5, RSS_GB, json_feed


def matter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_gb18030_rss_and_big5_atom_become_articles(site: Any, feed_server: FeedServer) -> None:
    rss = feed_server.serve("/gb.xml", RSS_GB.encode("gb18030"), "application/rss+xml")
    atom = feed_server.serve("/big5.xml", ATOM_BIG5.encode("big5"), "application/atom+xml")
    site.write_config(
        sources=[
            source("Chongqing Morning Post", rss, "finance/financial-focus", tags=["partner"]),
            source("Taiwan News", atom, "finance/markets", publish="auto", canonical="self"),
        ]
    )
    result = site.cli("ingest")
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(site.content).as_posix() for p in site.content.rglob("*.md"))
    assert len(files) == 3, files
    assert "warning: Chongqing Morning Post: entry 2: pubDate 'next tuesday' is not a date" in (
        result.output
    )
    assert "duplicate id 'tag:tw.example.com,2024:story/1'" in result.output
    sora = next(site.content.glob("finance/financial-focus/wen*.md"))
    front, body = matter(sora)
    assert front["title"] == "文生视频：Sora 来了"
    assert front["source"] == {
        "name": "Chongqing Morning Post",
        "url": "https://cqcb.example.com/finance/2024/sora.html",
    }
    assert front["canonical"] == front["source"]["url"]
    assert front["draft"] is True
    assert front["language"] == "zh-CN"
    assert front["authors"] == ["李伟"]
    assert front["tags"] == ["partner", "人工智能"]
    assert front["image"] == {
        "src": "https://cqcb.example.com/img/sora.jpg",
        "caption": "由文字生成的画面",
    }
    assert front["summary"] == "业内人士谈文生视频对后期制作的影响。"
    assert str(front["published"]) == "2024-02-20 09:30:00+08:00"
    assert front["id"].startswith("tag:news.example.com,2024-01-01:ingest/")
    assert "镕" in body and "<script" not in body and "onclick" not in body
    assert 'href="https://cqcb.example.com/finance/older.html"' in body

    market = next(site.content.glob("finance/markets/*.md"))
    front, body = matter(market)
    assert front["title"] == "臺北 股市上漲"
    assert front["language"] == "zh-Hant"
    assert "draft" not in front and "canonical" not in front
    assert front["source"]["url"] == "https://tw.example.com/news/stories/1.html"
    assert front["image"] == {"src": "https://tw.example.com/img/market.jpg", "caption": "交易所"}
    assert 'href="https://tw.example.com/news/more.html"' in body
    assert front["updated"] > front["published"]
    check = site.cli("check")
    assert check.exit_code == 0, check.output


def test_json_feed_body_survives_markdown(site: Any, feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.json", json_feed(), "application/feed+json")
    site.write_config(sources=[source("Wire", url, "world", publish="auto")])
    result = site.cli("--quiet", "ingest", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    actions = report["sources"][0]["actions"]
    assert [a["kind"] for a in actions] == ["create", "create"]
    built = site.build()
    assert not built.problems, built.problems
    by_title = {a.title: a for a in built.site.articles}
    harbour = by_title["Harbour reopens after storm"]
    assert "<strong>reopened</strong>" in harbour.body_html
    assert "<pre>line 1\n\nline 3</pre>" in harbour.body_html
    assert harbour.tags == ("weather", "shipping")
    assert harbour.summary == "Ships return to Keelung."
    short = by_title["Short item"]
    assert "<p>One.</p>" in short.body_html and "<p>Two.</p>" in short.body_html
