"""Links and pictures checked: broken ones are warnings (errors with --strict), and a
missing lead image is pointed at by no channel."""

from __future__ import annotations

import json

import feedparser
from conftest import SiteFactory
from rules_helpers import go, mentioning, output_files

BODY = (
    "See [the old story](/news/harbour-fire/), [the section](/business/), "
    "[a tag page](/tags/ports/), [page two](/news/page/2/), [a file](/docs/report.pdf), "
    "[elsewhere](https://example.org/x) and [here](#top).\n\n"
    "![chart](chart.png) ![missing](/media/none.png) ![beside](diagram.png)\n"
)


def test_broken_links_and_missing_pictures_are_warned_about(site: SiteFactory) -> None:
    site.article("business", "harbour-fire", "Moved here.\n", tags=["ports"])
    site.article("news", "roundup", BODY, image={"src": "/media/lead.jpg", "alt": "gone"})
    site.static("docs/report.pdf", b"%PDF")
    site.static("media/chart.png", b"\x89PNG")  # not where the body's relative link looks
    site.raw("news/diagram.png", b"\x89PNG")  # beside the article: fine
    site.write_config()
    checked = site.cli("check")
    assert checked.exit_code == 0
    warnings = sorted(line for line in checked.output.splitlines() if line.startswith("warning"))
    assert warnings == [
        "warning: news/roundup.md: image: /media/lead.jpg is not in static/ nor beside "
        "the article; left out",
        "warning: news/roundup.md: link /news/harbour-fire/ leads to no page of the site "
        "(the story 'harbour-fire' is at /business/harbour-fire/)",
        "warning: news/roundup.md: picture /media/none.png is not in static/ nor beside "
        "the article",
        "warning: news/roundup.md: picture /news/roundup/chart.png is not in static/ nor "
        "beside the article",
    ]
    assert site.cli("check", "--strict").exit_code == 1
    strict = site.cli("publish", "--strict")
    assert strict.exit_code == 1 and "nothing was published" in strict.output
    assert not (site.root / "public").exists()

    go(site, "publish", "--channels", "html,feeds")
    files = output_files(site)
    assert mentioning(files, "lead.jpg") == set()  # og:image, JSON-LD, enclosures, media:content
    feed = json.loads(files["feed.json"])
    assert all("image" not in item for item in feed["items"])
    atom = feedparser.parse(files["atom.xml"])
    assert all(not entry.get("media_content") for entry in atom.entries)
    assert all(link.rel != "enclosure" for entry in atom.entries for link in entry.links)
