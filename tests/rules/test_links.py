"""Links and pictures checked: broken ones are warnings (errors with --strict), and a
missing lead image is pointed at by no channel."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import PurePosixPath
from types import SimpleNamespace
from typing import cast
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
from conftest import SiteFactory
from rules_helpers import go, mentioning, output_files

from syndicate import linkcheck
from syndicate.model import Article

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


RELATIVE = (
    "[up](../other/) [moved](../harbour-fire/) [dots](./../../business/harbour-fire/) "
    "[too far](../../../../x/) [own root](/abs/) [own page](/edition/nowhere/) "
    "[no host](//elsewhere.org/x) [our host](//news.example.com/edition/gone/) "
    "[away](http://example.org/x) [ours](https://news.example.com/edition/business/) "
    "[other scheme](http://news.example.com/edition/zzz/) [here](#top) [itself](?q=1) "
    "[query](other/?a=1&b=2) [escaped](../caf%C3%A9/) [params](x;y/) [page](../page/2/)\n\n"
    "![dot](./pic.png) ![plain](pic.png) ![escaped](%70ic.png) ![gone](missing.png) "
    "![up](../pic.png)\n"
)


def test_relative_links_resolve_as_a_browser_would_below_the_base_path(
    site: SiteFactory,
) -> None:
    site.settings["site"]["base_url"] = "https://news.example.com/edition/"
    site.article("business", "harbour-fire", "Moved here.\n")
    site.article("news", "roundup", RELATIVE, image={"src": "pic.png", "alt": "beside"})
    site.article("news/deep", "lost", "Lost.\n", image={"src": "../nope.jpg", "alt": "gone"})
    site.raw("news/pic.png", b"\x89PNG")  # beside news/roundup.md: /edition/news/roundup/pic.png
    site.write_config()
    checked = site.cli("check")
    assert checked.exit_code == 0
    warnings = sorted(line for line in checked.output.splitlines() if line.startswith("warning"))
    roundup = "warning: news/roundup.md:"
    assert warnings == [
        "warning: news/deep/lost.md: image: ../nope.jpg is not in static/ nor beside the "
        "article; left out",
        f"{roundup} link /gone/ leads to no page of the site",
        f"{roundup} link /news/caf\u00e9/ leads to no page of the site",
        f"{roundup} link /news/harbour-fire/ leads to no page of the site (the story "
        "'harbour-fire' is at /business/harbour-fire/)",
        f"{roundup} link /news/other/ leads to no page of the site",
        f"{roundup} link /news/roundup/other/ leads to no page of the site",
        f"{roundup} link /news/roundup/x;y/ leads to no page of the site",
        f"{roundup} link /nowhere/ leads to no page of the site",
        f"{roundup} picture /news/pic.png is not in static/ nor beside the article",
        f"{roundup} picture /news/roundup/missing.png is not in static/ nor beside the article",
    ]


LINKS = (
    "", " ", "#", "#top", "?q", "?q#f", "x", "x/", "./x", "../x/", "../../../../x", "x/..",
    "x/.", ".", "..", "./", "a//b", "a/./b/../c", "%2e%2e/x", "caf%C3%A9/", "x;p", "x;p/y",
    "x?q=/../", "x#/..", "/", "/x/", "/edition/x/", "/edition/../x", "/edition//x",
    "/edition/x?q#f", "//news.example.com/edition/x", "//elsewhere.org/x", "///x",
    "http://news.example.com/edition/x", "https://news.example.com/edition/x",
    "https://news.example.com", "https://news.example.com?q", "https://news.example.com#f",
    "https:///edition/x", "https:x", "HTTPS://news.example.com/edition/x",
    "https://other.org", "https://other.org/edition/x", "https://user@news.example.com/x",
    "https://news.example.com:443/edition/x", "mailto:desk@example.com", "tel:+886",
    "a:b", "1a:b/c", "x\ty", "\x01x", "x\x01", "https://news.exa\tmple.com/edition/x",
    "https://[::1]/x", "https://[::1/x", "https://b\u00fccher.de/x", "\u00e9t\u00e9/x",
    "x\\y", "javascript:alert(1)",
)  # fmt: skip
BASES = ("https://news.example.com/", "https://news.example.com/edition/")
PAGES = ("", "news/roundup/", "news/roundup.html", "news//odd/", "news/./dot/", "a;b/c/")


def reference_site_path(base_url: str, article_url: str, link: str) -> str | None:
    """The link check's `_site_path` as it was, urljoin for every link not from the root."""
    link = link.strip()
    if not link or link.startswith("#"):
        return None
    base = urlsplit(base_url)
    if link.startswith("/") and not link.startswith("//") and "/." not in link:
        path = unquote(link.partition("#")[0].partition("?")[0])
        return path[len(base.path) :] if path.startswith(base.path) else None
    absolute = urlsplit(urljoin(article_url, link))
    if (absolute.scheme, absolute.netloc) != (base.scheme, base.netloc):
        return None
    path = unquote(absolute.path)
    return path[len(base.path) :] if path.startswith(base.path) else None


def outcome(work: Callable[[], str | None]) -> str | type[Exception] | None:
    try:
        return work()
    except ValueError as exc:  # urlsplit refuses some hosts: the check must still say so
        return type(exc)


def test_site_paths_are_what_urljoin_gives() -> None:
    rng = random.Random(7)
    parts = ("a", "/", ".", "..", "%2e", ":", "?", "#", ";", "\t", " ", "//", "http://", "https://",
             "news.example.com", "edition", "[", "]", "\u00e9", "\x01", "&")  # fmt: skip
    links = [*LINKS, *("".join(rng.choices(parts, k=rng.randint(1, 7))) for _ in range(3000))]
    for base_url in BASES:
        base = linkcheck._base(base_url)
        for page in PAGES:
            article = cast(Article, SimpleNamespace(url=base_url + page))
            for link in links:
                got = outcome(lambda: linkcheck._site_path(base, article, link))  # noqa: B023
                want = outcome(lambda: reference_site_path(base_url, article.url, link))  # noqa: B023
                assert got == want, (base_url, page, link)


@pytest.mark.parametrize(
    "source_file",
    ["story.md", "news/story.md", "a/b/c/story.md", "/story.md", "//story.md", "a//b.md",
     "./a/b.md", "a/./b.md", "a/../b.md", "a/b/", "a/b/.", "a/..", ".", ""],
)  # fmt: skip
def test_an_articles_folder_is_that_of_its_file(source_file: str) -> None:
    folder = PurePosixPath(source_file).parent.as_posix()
    assert linkcheck._beside(source_file) == ("" if folder == "." else f"{folder}/")
