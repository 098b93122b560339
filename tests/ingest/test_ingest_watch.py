"""`syndicate watch --ingest`: a partner's new story goes live without anyone running a command."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import feedparser
from conftest import SiteFactory
from ingest_feedserver import FeedServer, source
from lines import running, wait_for

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Wire</title><id>urn:wire</id><updated>2024-02-20T09:00:00Z</updated>
  {entries}
</feed>"""
ENTRY = """<entry><title>{title}</title><id>urn:wire:{n}</id>
  <link href="https://wire.example.com/{n}/"/><updated>2024-02-2{n}T09:00:00Z</updated>
  <content type="html">&lt;p&gt;{title} body.&lt;/p&gt;</content></entry>"""


def feed(*titles: str) -> str:
    return ATOM.format(entries="".join(ENTRY.format(n=n, title=t) for n, t in enumerate(titles)))


def until(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.1)


def titles(public: Path) -> list[str]:
    atom = public / "atom.xml"
    return [e.title for e in feedparser.parse(atom.read_bytes()).entries] if atom.exists() else []


def test_watch_ingests_and_publishes_partner_stories(
    site: SiteFactory, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/wire/atom.xml", feed("Harbour reopens"), "application/atom+xml")
    site.section("news", "News")
    site.write_config(sources=[source("Wire", url, "news/wire", publish="auto")])
    public = site.root / "public"
    with running(site.config_path, "watch", "--channels", "html,feeds", "--ingest", "1") as (
        process,
        lines,
    ):
        wait_for("ingest: Wire: 1 create", lines)
        until(lambda: "Harbour reopens" in titles(public))

        feed_server.serve("/wire/atom.xml", feed("Harbour reopens", "Rail line opens"),
                          "application/atom+xml")  # fmt: skip
        wait_for("ingest: Wire: 1 create", lines)
        until(lambda: "Rail line opens" in titles(public))
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    assert (site.content / "news/wire").is_dir()
