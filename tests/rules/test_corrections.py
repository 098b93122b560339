"""Corrections are visible: a body edit moves every channel's "updated" time, kept in the
delivery state; `corrections:` notes; `expires` takes a story down at its time."""

from __future__ import annotations

import json
import shutil

import feedparser
import html5lib
from conftest import SiteFactory
from rules_helpers import Partner, all_channels, go, mentioning, output_files

UID = "tag:news.example.com,2024-01-01:article/port-fire"
PUBLISHED = "2030-06-01T09:00:00+08:00"
EDITED = "2030-06-02T10:15:00+08:00"


def updated_everywhere(site: SiteFactory) -> dict[str, str]:
    """The "updated" time of the story as each channel publishes it."""
    files = output_files(site)
    page = html5lib.parse(files["news/port-fire/index.html"], namespaceHTMLElements=False)
    found = {}
    for script in page.iter("script"):
        data = (
            json.loads(script.text or "{}") if script.get("type") == "application/ld+json" else {}
        )
        if isinstance(data, dict) and data.get("@type") == "NewsArticle":
            found["json-ld"] = data["dateModified"]
    for meta in page.iter("meta"):
        if meta.get("property") == "article:modified_time":
            found["og"] = meta.get("content", "")
    times = [t.get("datetime") for t in page.iter("time")]
    found["page"] = times[1] if len(times) > 1 else ""  # Published, then Updated
    atom = feedparser.parse(files["atom.xml"])
    entry = next(e for e in atom.entries if e.id == UID)
    found["atom"] = entry.updated
    item = next(i for i in json.loads(files["feed.json"])["items"] if i["id"] == UID)
    found["json feed"] = item["date_modified"]
    sitemap = files["sitemap-2030-06.xml"].decode()  # the story's month
    at = sitemap.index("news/port-fire/")
    found["sitemap"] = sitemap[at:].split("<lastmod>")[1].split("</lastmod>")[0]
    return found


def test_a_body_edit_moves_every_updated_time_and_nothing_else(
    site: SiteFactory, partner: Partner
) -> None:
    story = site.article("news", "port-fire", "Three dead.\n", published=PUBLISHED)
    all_channels(site, partner.url)
    go(site, "publish", "--now", "2030-06-01T12:00:00+08:00")
    first = updated_everywhere(site)
    assert set(first.values()) <= {"", "2030-06-01T09:00:00+08:00", "2030-06-01"}, first

    story.write_text(story.read_text("utf-8").replace("Three dead.", "Two dead."), "utf-8")
    go(site, "publish", "--now", EDITED)
    moved = updated_everywhere(site)
    assert set(moved) == {"json-ld", "og", "page", "atom", "json feed", "sitemap"}
    for channel, value in moved.items():
        assert value.startswith("2030-06-02"), (channel, value)
    assert moved["atom"] == moved["json feed"] == EDITED
    files = output_files(site)
    assert mentioning(files, UID)  # ids as they were
    go(site, "push")
    versions = [p for p in partner.received if p["uri"] == UID]
    assert [p["version"] for p in versions] == ["1", "2"]
    assert versions[1]["versioncreated"].startswith("2030-06-02T02:15:00")

    again = go(site, "publish", "--now", "2030-06-03T08:00:00+08:00")
    assert "nothing changed" in again.output
    forced = go(site, "publish", "--force", "--now", "2030-06-03T08:00:00+08:00")
    assert output_files(site) == files, forced.output
    shutil.rmtree(site.root / ".syndicate/cache")  # the correction time is not cache
    go(site, "publish", "--now", "2030-06-04T08:00:00+08:00")
    assert output_files(site) == files

    story.write_text(
        story.read_text("utf-8").replace("title:", "updated: 2030-06-05T07:00:00+08:00\ntitle:"),
        "utf-8",
    )
    go(site, "publish", "--now", "2030-06-05T08:00:00+08:00")
    assert updated_everywhere(site)["atom"] == "2030-06-05T07:00:00+08:00"  # the editor's date


def test_corrections_are_shown_on_the_page_and_in_the_feeds(site: SiteFactory) -> None:
    note = {"date": "2030-06-02", "text": "An earlier version said three <dead>."}
    site.article("news", "port-fire", "Two dead.\n", published=PUBLISHED, corrections=[note])
    site.write_config()
    go(site, "publish", "--channels", "html,feeds", "--now", EDITED)
    files = output_files(site)
    page = html5lib.parse(files["news/port-fire/index.html"], namespaceHTMLElements=False)
    (aside,) = [a for a in page.iter("aside") if a.get("class") == "corrections"]
    text = "".join(aside.itertext())
    assert "June 2, 2030" in text and "An earlier version said three <dead>." in text
    atom = feedparser.parse(files["atom.xml"])
    assert "An earlier version said three &lt;dead&gt;." in atom.entries[0].content[0].value
    assert "2030-06-02" in atom.entries[0].content[0].value
    bad = site.article("news", "bad", published=PUBLISHED, corrections=[{"text": "no date"}])
    result = site.cli("check")
    assert (
        result.exit_code == 1 and "news/bad.md" in result.output and "corrections" in result.output
    )
    bad.unlink()


def test_an_expired_story_leaves_every_channel_at_its_time(
    site: SiteFactory, partner: Partner
) -> None:
    site.article("news", "port-fire", "Two dead.\n", title="Port fire toll", published=PUBLISHED,
                 expires="2030-06-10T00:00:00+08:00")  # fmt: skip
    site.article("news", "follow-up", "More.\n", related=["port-fire"],
                 published="2030-06-01T08:00:00+08:00")  # fmt: skip
    all_channels(site, partner.url)
    before = go(site, "publish", "--now", "2030-06-09T23:59:59+08:00")
    assert "next scheduled story goes out at 2030-06-10T00:00:00+08:00" in before.output
    assert len(mentioning(output_files(site), "Port fire toll")) > 5
    go(site, "push")
    after = go(site, "publish", "--now", "2030-06-10T00:00:00+08:00")
    assert "'port-fire' expired at 2030-06-10T00:00:00+08:00" in after.output
    files = output_files(site)
    for needle in ("Port fire toll", "news/port-fire/", UID):
        assert mentioning(files, needle) == set(), needle
    go(site, "push")
    assert [p["pubstatus"] for p in partner.received if p["uri"] == UID] == ["usable", "canceled"]
    check = site.cli("check")
    assert check.exit_code == 0
    site.article("news", "bad", published=PUBLISHED, expires="2030-05-01T00:00:00+08:00")
    result = site.cli("check")
    assert result.exit_code == 1 and "expires: is not after published" in result.output
