"""The build cache must give back exactly what the reader produced, or nothing at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from syndicate.engine import bodystore, cachefile
from syndicate.engine.bodystore import BodyStore
from syndicate.engine.cache import CACHE_NAME, BuildCache
from syndicate.engine.workers import fork_pool
from syndicate.errors import CacheError
from syndicate.markdown import render_body
from syndicate.model import Body, Heading
from syndicate.reader import SourceArticle, read_one

KEY = b"k" * 32

FULL_MATTER = """\
---
title: Port volumes rise
published: 2024-02-20T09:30:00+08:00
updated: 2024-02-21 10:00:00
slug: port-volumes
summary: Container throughput grew.
authors: [Li Wei, Chen Jie]
source: {name: Chongqing Morning Post, url: "https://example.com/p"}
tags: [ports, trade]
related: [older-story]
image: {src: /img/port.jpg, alt: Cranes, caption: At dawn, credit: Staff}
language: zh-Hant
draft: true
desk: metro
embargo: 2024-02-19
ranking: {score: 3, when: 2024-02-18T08:00:00Z}
---
Body with **bold** text.
"""

SMALL_MATTER = """\
---
title: A bare date
published: 2024-02-20
---
Text.
"""


@pytest.mark.parametrize("text", [FULL_MATTER, SMALL_MATTER], ids=["every-key", "smallest"])
def test_cached_front_matter_comes_back_equal(tmp_path: Path, text: str) -> None:
    file = tmp_path / "content" / "finance" / "story.md"
    file.parent.mkdir(parents=True)
    file.write_text(text, encoding="utf-8")
    source, problems = read_one(file, Path("finance/story.md"), "finance", 1_000_000)
    assert not problems and isinstance(source, SourceArticle)
    cache = BuildCache()
    cache.render([source])
    cache.put_source("finance/story.md", 1, 2, source)
    cache.save(tmp_path / "cache", KEY)

    loaded = BuildCache.load(tmp_path / "cache", KEY).get_source("finance/story.md", 1, 2)

    assert isinstance(loaded, SourceArticle)
    assert loaded.matter == source.matter
    assert type(loaded.matter.published) is type(source.matter.published)
    assert loaded.matter.published.isoformat() == source.matter.published.isoformat()
    assert (loaded.path, loaded.section, loaded.digest) == (source.path, "finance", source.digest)
    assert (loaded.matter_text, loaded.body_line) == (source.matter_text, source.body_line)


BODY = "## Port news\n\nCranes & <em>ships</em> at [the port](https://example.com/p).\n"
_LOADED: list[Body] = []


def _saved_cache(tmp_path: Path, count: int = 3) -> tuple[BuildCache, list[SourceArticle]]:
    sources = []
    for n in range(count):
        file = tmp_path / "content" / f"story-{n}.md"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"---\ntitle: Story {n}\npublished: 2024-02-20\n---\n{BODY}{n}\n")
        source, _ = read_one(file, Path(file.name), "", 1_000_000)
        assert isinstance(source, SourceArticle)
        sources.append(source)
    cache = BuildCache()
    cache.render(sources)
    for source in sources:
        cache.put_source(source.path, 1, 2, source)
    cache.save(tmp_path / "cache", KEY)
    return cache, sources


def test_bodies_come_back_lazily_with_their_html_and_sizes(tmp_path: Path) -> None:
    rendered, sources = _saved_cache(tmp_path)
    loaded = BuildCache.load(tmp_path / "cache", KEY)
    for source in sources:
        before, after = rendered.bodies[source.digest], loaded.bodies[source.digest]
        assert after.body._html is None  # nothing fetched yet
        assert (after.body.size, after.body.markup, after.body.links) == (
            before.body.size, before.body.markup, before.body.links,
        )  # fmt: skip
        assert (after.first_paragraph, after.word_count) == (
            before.first_paragraph, before.word_count,
        )  # fmt: skip
        assert after.body.headings == before.body.headings
        assert after.body.headings == (Heading(2, "Port news", "port-news"),)
        assert after.body.html == before.body.html
        assert 'href="https://example.com/p"' in after.body.html


def _fetch_in_child(index: int) -> str:
    return _LOADED[index].html


def test_forked_workers_fetch_bodies_over_their_own_connection(tmp_path: Path) -> None:
    _, sources = _saved_cache(tmp_path, count=4)
    loaded = BuildCache.load(tmp_path / "cache", KEY)
    bodies = [loaded.bodies[s.digest].body for s in sources]
    assert "Story" not in bodies[0].html  # the parent opened its connection first
    _LOADED[:] = bodies
    try:
        with fork_pool(2) as pool:
            fetched = list(pool.map(_fetch_in_child, range(1, 4)))
    finally:
        _LOADED.clear()
    assert fetched == [render_body(s.body).body.html for s in sources[1:]]


def test_a_body_lost_from_the_cache_is_an_error_that_drops_the_body_store(tmp_path: Path) -> None:
    _, sources = _saved_cache(tmp_path)
    loaded = BuildCache.load(tmp_path / "cache", KEY)
    store = next((tmp_path / "cache").glob("bodies-*.sqlite3"))
    with sqlite3.connect(store) as conn:
        conn.execute("DELETE FROM bodies")
    with pytest.raises(CacheError, match="lost a rendered body"):
        loaded.bodies[sources[0].digest].body.html  # noqa: B018 - the fetch is the point
    again = BuildCache.load(tmp_path / "cache", KEY)
    assert again.bodies == {}  # so every article is read and rendered again
    assert all(again.get_source(s.path, 1, 2) is None for s in sources)


def test_a_body_store_deleted_mid_publish_is_the_same_clear_error(tmp_path: Path) -> None:
    _, sources = _saved_cache(tmp_path)
    loaded = BuildCache.load(tmp_path / "cache", KEY)
    for store in (tmp_path / "cache").glob("bodies-*.sqlite3"):
        store.unlink()
    with pytest.raises(CacheError, match="lost a rendered body"):
        loaded.bodies[sources[0].digest].body.html  # noqa: B018 - the fetch is the point
    assert not list((tmp_path / "cache").glob("bodies-*.sqlite3"))  # not recreated empty


def test_an_edit_writes_only_its_changes_and_loads_back_equal(tmp_path: Path) -> None:
    _, sources = _saved_cache(tmp_path, count=40)  # so 3 changes are under SNAPSHOT_SHARE
    folder = tmp_path / "cache"
    snapshot = (folder / CACHE_NAME).read_bytes()
    cache = BuildCache.load(folder, KEY)
    cache.put_source(sources[1].path, 5, 6, sources[1])  # the file was saved again
    cache.forget_missing({s.path for s in sources} - {sources[2].path})  # the third deleted
    cache.outputs = {"page-key": (("story-1/index.html", "checksum"),)}
    cache.save(folder, KEY)

    assert (folder / CACHE_NAME).read_bytes() == snapshot
    assert cachefile.changes_path(folder / CACHE_NAME).is_file()
    loaded = BuildCache.load(folder, KEY)
    assert loaded.get_source(sources[1].path, 1, 2) is None  # the old stamp no longer matches
    assert loaded.get_source(sources[1].path, 5, 6) == cache.sources[sources[1].path][2]
    assert loaded.get_source(sources[0].path, 1, 2) == cache.sources[sources[0].path][2]
    assert sources[2].path not in loaded.sources
    assert loaded.outputs == {"page-key": (("story-1/index.html", "checksum"),)}


def test_link_targets_come_back_without_reading_the_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checking a site's links must not read every body back (a publish after one edit)."""
    rendered, sources = _saved_cache(tmp_path)
    loaded = BuildCache.load(tmp_path / "cache", KEY)

    def refuse(self: object, digest: str) -> None:
        raise AssertionError("the HTML was read back")

    monkeypatch.setattr(BodyStore, "fetch", refuse)
    for source in sources:
        expected = rendered.bodies[source.digest].body.targets
        assert expected and loaded.bodies[source.digest].body.targets == expected


def _plant_summary(store: Path, digest: str, mac_key: bytes | None) -> None:
    """Give one body a planted lede: its summary row repacked and, unless `mac_key` is
    None, signed again with `mac_key` (else its old keyed digest is kept)."""
    with sqlite3.connect(store) as conn:
        summary, mac = conn.execute(
            "SELECT summary, mac FROM summaries WHERE digest = ?", (digest,)
        ).fetchone()
        fields = list(cachefile.unpack(summary))
        fields[1] = "Planted lede"
        planted = cachefile.pack(tuple(fields))
        if mac_key is not None:
            mac = cachefile.hasher(mac_key, bodystore._SUMMARY)(planted).digest()
        conn.execute(
            "UPDATE summaries SET summary = ?, mac = ? WHERE digest = ?", (planted, mac, digest)
        )


@pytest.mark.parametrize(
    ("mac_key", "used"),
    [(None, False), (b"x" * 32, False), (KEY, True)],
    ids=["altered", "another-key", "control-this-key"],
)
def test_a_summary_row_needs_this_sites_keyed_digest(
    tmp_path: Path, mac_key: bytes | None, used: bool
) -> None:
    """An altered summary row, or one signed with another key, is skipped: that body is
    rendered again. The control (signed with the site's key) shows it would be used."""
    _, sources = _saved_cache(tmp_path)
    store = next((tmp_path / "cache").glob("bodies-*.sqlite3"))
    _plant_summary(store, sources[0].digest, mac_key)

    loaded = BuildCache.load(tmp_path / "cache", KEY)

    planted = loaded.bodies.get(sources[0].digest)
    assert (planted is not None and planted.first_paragraph == "Planted lede") is used
    assert (loaded.get_source(sources[0].path, 1, 2) is not None) is used
    assert all(s.digest in loaded.bodies for s in sources[1:])  # the rest still cached


def test_summary_rows_of_the_wrong_type_are_skipped(tmp_path: Path) -> None:
    _, sources = _saved_cache(tmp_path)
    store = next((tmp_path / "cache").glob("bodies-*.sqlite3"))
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE summaries SET mac = 'text' WHERE digest = ?", (sources[0].digest,))
        conn.execute("UPDATE summaries SET summary = 7 WHERE digest = ?", (sources[1].digest,))

    loaded = BuildCache.load(tmp_path / "cache", KEY)

    assert set(loaded.bodies) == {sources[2].digest}


def test_html_signed_with_another_key_is_refused(tmp_path: Path) -> None:
    _, sources = _saved_cache(tmp_path)
    loaded = BuildCache.load(tmp_path / "cache", KEY)
    digest = sources[0].digest
    other = BodyStore(tmp_path / "cache", b"x" * 32, "")
    store = next((tmp_path / "cache").glob("bodies-*.sqlite3"))
    with sqlite3.connect(store) as conn:
        html = "<p>Planted</p>"
        mac = other._html_mac(digest, html, "[]")
        conn.execute(
            "UPDATE bodies SET html = ?, headings = '[]', html_mac = ? WHERE digest = ?",
            (html, mac, digest),
        )
    with pytest.raises(CacheError, match="altered outside syndicate"):
        loaded.bodies[digest].body.html  # noqa: B018 - the fetch is the point
