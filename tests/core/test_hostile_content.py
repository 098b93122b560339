"""Hostile and careless content (issue #16): every case is a problem naming the file,
found by `check` as by `publish`, never an "unexpected" crash (exit 2)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
import yaml
from conftest import SiteFactory

from syndicate import urls
from syndicate.errors import ConfigError

OK_MATTER = "title: T\npublished: 2024-02-20T09:30:00+08:00\n"


def refused(site: SiteFactory, *expected: str) -> str:
    """`check` and `publish` both exit 1, saying every `expected` text; the output."""
    checked = site.cli("check")
    assert checked.exit_code == 1, checked.output
    published = site.cli("publish")
    assert published.exit_code == 1, published.output
    assert "unexpected" not in checked.output + published.output
    for text in expected:
        assert text in checked.output, checked.output
        assert text in published.output, published.output
    assert not (site.root / "public").exists()
    return checked.output


def accepted(site: SiteFactory) -> Path:
    checked = site.cli("check")
    assert checked.exit_code == 0, checked.output
    published = site.cli("publish")
    assert published.exit_code == 0, published.output
    return site.root / "public"


def feed_texts(public: Path) -> str:
    return "".join(
        (public / name).read_text(encoding="utf-8") for name in ("atom.xml", "rss.xml", "feed.json")
    )


# 2. URLs from front matter -------------------------------------------------------------

UNSAFE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x.jpg",
    "https:///no-host",
    'https://example.com/"onmouseover="x',
    "https://example.com/\u202ex",
]


@pytest.mark.parametrize("value", UNSAFE_URLS)
@pytest.mark.parametrize("key", ["source", "image"])
def test_unsafe_front_matter_urls_are_content_errors(
    site: SiteFactory, key: str, value: str
) -> None:
    field = {"source": {"name": "Wire", "url": value}, "image": {"src": value, "alt": "A"}}
    site.article("news", "a", **{key: field[key]})
    name = "source.url" if key == "source" else "image.src"
    refused(site, f"news/a.md:2: {name}: ")


def test_a_source_is_another_site(site: SiteFactory) -> None:
    site.article("news", "a", source={"name": "Wire", "url": "/archive/original"})
    refused(site, "source.url: '/archive/original' is not an absolute http:// or https:// URL")


def test_bare_image_string_is_checked_too(site: SiteFactory) -> None:
    site.raw("news/a.md", f"---\n{OK_MATTER}image: javascript:alert(1)\n---\nBody.\n")
    refused(site, "news/a.md:4: image.src: 'javascript:alert(1)': javascript: URLs are not")


def test_web_and_relative_urls_reach_every_feed(site: SiteFactory) -> None:
    site.article(
        "news",
        "a",
        source={"name": "Wire", "url": "https://wire.example/a?b=1&c=2"},
        image={"src": "/media/a.jpg", "alt": "A"},
    )
    site.article("news", "b", image="media/b.jpg")
    site.static("media/a.jpg")
    site.raw("news/media/b.jpg", b"\xff\xd8\xff")  # beside the article
    public = accepted(site)
    feed = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    by_id = {item["url"].rstrip("/").rpartition("/")[2]: item for item in feed["items"]}
    assert by_id["a"]["external_url"] == "https://wire.example/a?b=1&c=2"
    assert by_id["a"]["image"] == "https://news.example.com/media/a.jpg"
    atom = feedparser.parse(public / "atom.xml")
    assert not atom.bozo
    assert "javascript" not in feed_texts(public).lower()


HOSTILE_LINKS = """[a](javascript:alert(1)) [b](java&#x09;script:alert(1)) [c]( vbscript:x)
![d](data:text/html,x) <a href="&#x6a;avascript:x">e</a> <a href=" javascript:x">f</a>
[g](//evil.example/x) [h](<java script:x>) [i](relative/page) [j](mailto:desk@example.com)
"""


ATOM_CONTENT = "{http://www.w3.org/2005/Atom}content"
RSS_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def test_body_links_stay_safe_once_feeds_make_them_absolute(site: SiteFactory) -> None:
    site.article("news", "a", HOSTILE_LINKS)
    public = accepted(site)
    feed = json.loads((public / "feed.json").read_text(encoding="utf-8"))
    bodies = [feed["items"][0]["content_html"]]
    # Read as written (feedparser would sanitise them again on its own).
    for name, tag in (("atom.xml", ATOM_CONTENT), ("rss.xml", RSS_CONTENT)):
        found = ElementTree.parse(public / name).getroot().iter(tag)
        bodies.extend(element.text or "" for element in found)
    assert len(bodies) == 3
    for body in bodies:
        links = re.findall(r'(?:href|src)="([^"]*)"', body)
        assert links and all(
            link.startswith(("https://", "mailto:")) for link in map(html.unescape, links)
        ), links
        assert "https://news.example.com/news/a/relative/page" in links


# 4. Decoded values ----------------------------------------------------------------------


def test_noncharacter_entities_in_a_body_are_replaced(site: SiteFactory) -> None:
    site.article("news", "a", "A &#xFFFE; b &#xFFFF; c &#x1b; d `&#xFFFE;`\n")
    site.article("news", "b")
    public = accepted(site)
    page = (public / "news/a/index.html").read_text(encoding="utf-8")
    assert "A \ufffd b \ufffd c \ufffd d" in page and "&amp;#xFFFE;" in page
    for name in ("atom.xml", "rss.xml"):
        parsed = feedparser.parse(public / name)
        assert not parsed.bozo, parsed.bozo_exception
        assert len(parsed.entries) == 2


@pytest.mark.parametrize(
    ("matter", "key", "line"),
    [
        ('title: "a\\0b"', "title", 2),
        ('title: "a\\x1bb"', "title", 2),
        ('title: "a\\uFFFEb"', "title", 2),
        ('title: T\nsummary: "\\uFFFF"', "summary", 3),
        ('title: T\ntags: [ok, "x\\x07"]', "tags[1]", 3),
        ('title: T\nimage: {src: /a.jpg, alt: "\\x00"}', "image.alt", 3),
        ('title: T\nextra:\n  deep: [{k: "\\x1b"}]', "extra.deep[0].k", 3),
    ],
)
def test_escapes_decoding_to_forbidden_characters_name_file_and_key(
    site: SiteFactory, matter: str, key: str, line: int
) -> None:
    site.raw("news/a.md", f"---\n{matter}\npublished: 2024-02-20\n---\nBody.\n")
    site.article("news", "b")
    output = refused(site, f"news/a.md:{line}: {key}: ")
    assert "is not allowed" in output
    assert "news/b.md" not in output


# 5. Alias bombs and deep nesting --------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused(site: SiteFactory) -> None:
    bomb = alias_bomb()
    assert len(bomb) < 1200  # 9**9 values once expanded
    site.raw("news/a.md", f"---\n{OK_MATTER}{bomb}---\nBody.\n")
    site.article("news", "b")
    # Refused while reading, before anything walks the 9**9 values (minutes, gigabytes).
    refused(site, "news/a.md: front matter is too complex: more than 10,000 values")


def test_a_few_aliases_are_fine(site: SiteFactory) -> None:
    site.raw(
        "news/a.md",
        f"---\n{OK_MATTER}tags: &t [ai, video]\nkeywords: *t\nauthors: [Li Wei]\n---\nBody.\n",
    )
    public = accepted(site)
    assert "tags/video/index.html" in {p.relative_to(public).as_posix() for p in public.rglob("*")}


def test_deep_nesting_is_refused_not_a_crash(site: SiteFactory) -> None:
    depth = 100_000  # crashes libyaml's composer (SIGSEGV) unchecked
    site.raw("news/a.md", f"---\n{OK_MATTER}x: {'[' * depth}{']' * depth}\n---\nBody.\n")
    try:
        refused(site, "news/a.md: front matter is too complex: lists and mappings nest deeper")
    except AssertionError:  # PyYAML 6.0.4 and later refuse it themselves, as clearly
        refused(site, "news/a.md:4: invalid YAML in front matter: exceeded maximum nesting depth")


def test_alias_bomb_in_the_config_is_a_config_error(site: SiteFactory) -> None:
    site.article("news", "a")
    site.config_path.parent.mkdir(parents=True, exist_ok=True)
    site.config_path.write_text(
        "site: {title: T, base_url: 'https://x.example/'}\n" + alias_bomb(10), encoding="utf-8"
    )
    result = site.cli("check")
    assert result.exit_code == 1
    assert "syndicate.yaml: too complex: more than 100,000 values" in result.output


# 7. Line endings ------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_are_read(site: SiteFactory, newline: str) -> None:
    text = "---\ntitle: Line endings\npublished: 2024-02-20\ntags: [a, b]\n---\nOne.\n\nTwo.\n"
    site.raw("news/a.md", text.replace("\n", newline))
    public = accepted(site)
    page = (public / "news/a/index.html").read_text(encoding="utf-8")
    assert "<h1>Line endings</h1>" in page and "<p>Two.</p>" in page
    assert "\r" not in page


# 8. What `publish` would refuse, `check` finds -----------------------------------------


@pytest.mark.parametrize(
    "folder",
    [
        "feed.json",
        "atom.xml",
        "rss.xml",
        "index.html",
        "page",
        "404.html",
        "sitemap.xml",
        "sitemap-2.xml",
        "sitemap-2024-05.xml",
        "sitemap-lists.xml",
        "news-sitemap.xml",
        "robots.txt",
        "feed.xsl",
        "archive",
        "assets",
        "print",
        "s",
        "news/feed.json",
        "news/page",
    ],
)
def test_section_folders_named_like_channel_outputs(site: SiteFactory, folder: str) -> None:
    site.article(folder, "a")
    site.article("other", "b")
    refused(site, f"{folder}/: section folder name {folder.rpartition('/')[2]!r} is taken")


def test_reserved_names_cover_what_the_channels_write(site: SiteFactory) -> None:
    """The one list of names (syndicate.urls) must hold every name a channel writes at
    the site root and in a section's folder, or a section could collide unseen."""
    site.article("news", "a", tags=["ai"])
    site.article("news", "b", published="2023-11-02T08:00:00+08:00")
    public = accepted(site)
    # Dot-names (the writer's manifest) cannot be sections: the reader skips them.
    top = {path.name for path in public.iterdir() if not path.name.startswith(".")}
    assert "feed.json" in top and "tags" in top
    assert "sitemap-2023-11.xml" in top  # the names of a sitemap's parts: a pattern
    assert [name for name in top - {"news"} if not urls.reserved(name, at_root=True)] == []
    inside = {path.name for path in (public / "news").iterdir()}
    assert inside - {"a", "b"} <= urls.SECTION_NAMES


def test_tags_folder_collides_with_tag_pages(site: SiteFactory) -> None:
    site.article("tags", "ai", tags=["ai"])
    refused(site, "tags/: section folder name 'tags' is taken")


def test_same_names_deeper_down_are_fine(site: SiteFactory) -> None:
    site.article("news/tags", "a", tags=["ai"])
    site.article("news/archive", "b")
    public = accepted(site)
    assert (public / "news/tags/a/index.html").is_file()
    assert (public / "tags/ai/index.html").is_file()


def test_dangling_symlink_is_a_problem_naming_it(site: SiteFactory) -> None:
    site.article("news", "a")
    (site.content / "news/gone.md").symlink_to(site.root / "nowhere.md")
    refused(site, "news/gone.md: cannot read: No such file or directory")


@pytest.mark.parametrize(
    ("published", "key"),
    [
        ("9999-12-31T23:00:00-12:00", "published"),
        ("0001-01-01T00:30:00+01:00", "published"),
        ("9999-12-31T10:00:00-12:00", "published"),
        ("0001-01-01T12:00:00+08:00", "published"),
    ],
)
def test_dates_feeds_cannot_write_are_refused(site: SiteFactory, published: str, key: str) -> None:
    site.article("news", "a", published=published)
    refused(site, f"news/a.md:2: {key}: is outside 0001-01-02 to 9999-12-30 in UTC")


def test_dates_at_the_edges_publish(site: SiteFactory) -> None:
    site.article("news", "a", published="9999-12-30T10:00:00-12:00")
    site.article("news", "b", published="0001-01-02T12:00:00+08:00")
    public = accepted(site)
    assert not feedparser.parse(public / "atom.xml").bozo


def test_updated_out_of_range_is_refused(site: SiteFactory) -> None:
    site.article("news", "a", updated="9999-12-31T23:59:00-01:00")
    refused(site, "news/a.md:2: updated: is outside 0001-01-02 to 9999-12-30")


@pytest.mark.parametrize(
    "permalink", ["../{slug}/", "{section}/../{slug}/", "./{slug}", "{slug}/?x", "a b/{slug}"]
)
def test_permalinks_leaving_the_site_are_config_errors(site: SiteFactory, permalink: str) -> None:
    site.article("news", "a")
    site.write_config(permalink=permalink)
    result = site.cli("check")
    assert result.exit_code == 1 and "syndicate.yaml: permalink: " in result.output


def test_article_page_cannot_be_a_section_page(site: SiteFactory) -> None:
    site.article("finance", "markets")
    site.article("finance/markets", "b")
    refused(site, "finance/markets.md: the permalink gives 'finance/markets/', the page of")


def test_flat_permalink_cannot_take_a_site_name(site: SiteFactory) -> None:
    site.write_config(permalink="{slug}/")
    site.article("news", "tags")
    site.article("news", "b", tags=["x"])
    refused(site, "news/tags.md: the permalink gives 'tags/', where the channels write")


# 9. Values accepted silently before ----------------------------------------------------


def test_duplicate_ids_name_both_files(site: SiteFactory) -> None:
    site.article("news", "a", id="urn:uuid:1")
    site.article("news", "b", id="urn:uuid:1")
    refused(site, "news/b.md:2: id: 'urn:uuid:1' is the id of news/a.md too")


def test_an_id_equal_to_another_articles_own_is_a_duplicate(site: SiteFactory) -> None:
    site.write_config(site={**site.settings["site"], "id_authority": "news.example.com"})
    site.article("news", "a")
    site.article("news", "b", id="tag:news.example.com,2024-01-01:article/a")
    refused(site, "news/b.md:2: id: 'tag:news.example.com,2024-01-01:article/a' is the id of")


@pytest.mark.parametrize("value", ["two words", {"a": 1}, ["x"]])
def test_ids_must_be_one_word(site: SiteFactory, value: object) -> None:
    site.article("news", "a", id=value)
    refused(site, "news/a.md:2: id: must be one word")


@pytest.mark.parametrize("language", ["english!", "e", "zh_Hans", "en-", "x" * 9])
def test_article_language_must_be_bcp47(site: SiteFactory, language: str) -> None:
    site.article("news", "a", language=language)
    site.article("news", "b", language="zh-Hant-TW")
    output = refused(site, "news/a.md:2: language: ")
    assert "is not a BCP 47 language tag" in output and "news/b.md" not in output


@pytest.mark.parametrize("folder", ["my news", "news\nx", "新闻", "a%20b", "a#b", "a?b", "a'b"])
def test_section_folder_names_must_be_url_safe(site: SiteFactory, folder: str) -> None:
    site.article(folder, "a")
    shown = folder if folder.isprintable() else folder.encode("unicode_escape").decode()
    refused(site, f"{shown}/: section folder name {folder!r} may hold only ASCII letters")


def test_section_titles_in_any_script_come_from_the_index(site: SiteFactory) -> None:
    site.section("xinwen", "新闻")
    site.article("xinwen", "a")
    public = accepted(site)
    assert "<title>新闻" in (public / "xinwen/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("https://user:pass@news.example.com/", "must not hold a user name or password"),
        ("https://news.example.com/\"'", "which a URL cannot"),
        ("https://news.example.com/ x", "holds a space"),
        ("https://news.example.com/?a=1", "must not hold a ?query"),
    ],
)
def test_base_url_is_a_plain_web_address(site: SiteFactory, base_url: str, message: str) -> None:
    site.write_config(site={**site.settings["site"], "base_url": base_url})
    with pytest.raises(ConfigError, match=r"site\.base_url: .*" + message.replace("?", r"\?")):
        site.config()


@pytest.mark.parametrize(
    "permalink",
    [
        "{section.__class__}/{slug}/",
        "{section[0]}/{slug}/",
        "{slug!r}/",
        "{slug:>20}/",
        "{0}/{slug}/",
        "{}/{slug}/",
        "{slug}/{",
        "{category}/{slug}/",
    ],
)
def test_permalink_placeholders_are_only_the_five(site: SiteFactory, permalink: str) -> None:
    site.write_config(permalink=permalink)
    with pytest.raises(ConfigError, match=r"syndicate.yaml: permalink: "):
        site.config()


def test_yaml_fixture_is_real_yaml() -> None:
    assert yaml.safe_load(alias_bomb(2))["a1"][0] == ["x"] * 9
