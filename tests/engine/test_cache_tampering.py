"""Whoever can write to the cache folder cannot run code or publish unchecked values.

Each test plants something in `.syndicate/cache` the way an attacker (or a cache restored
from somewhere untrusted) would, then publishes through the CLI.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path

from conftest import SiteFactory
from jinja2.bccache import BytecodeCache, bc_magic

from syndicate.engine import cachefile
from syndicate.engine.cache import CACHE_NAME, cache_version
from syndicate.templating_paths import bundled_templates_dir


class _Payload:
    """Unpickling this makes a folder: proof that code from the cache ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _story_site(site: SiteFactory) -> None:
    """Three stories saved an hour ago, so the cache keeps them (recent files are re-read)."""
    files = [site.section("news", "News")]
    files += [site.article("news", f"story-{n}", f"Story {n} text.\n") for n in range(3)]
    for file in files:
        os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns - 3600 * 10**9))


def test_a_pickle_planted_as_the_build_cache_never_runs(site: SiteFactory, tmp_path: Path) -> None:
    _story_site(site)
    assert site.cli("publish", "--channels", "html,feeds").exit_code == 0
    marker = tmp_path / "pwned"
    cache = site.root / ".syndicate" / "cache"
    for name in (CACHE_NAME, "build-cache.pickle", f"{CACHE_NAME}.changes"):
        (cache / name).write_bytes(pickle.dumps(_Payload(marker)))
    site.article("news", "story-0", "Edited.\n")

    result = site.cli("publish", "--channels", "html,feeds")

    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert "Edited." in (site.root / "public/news/story-0/index.html").read_text("utf-8")


def test_a_template_bytecode_file_is_never_loaded(site: SiteFactory, tmp_path: Path) -> None:
    """Jinja2's bytecode buckets start with a pickle: a planted one ran on the next publish."""
    _story_site(site)
    marker = tmp_path / "pwned"
    folder = site.root / ".syndicate" / "cache" / "templates"
    folder.mkdir(parents=True)
    for path in bundled_templates_dir().rglob("*.html"):
        name = path.relative_to(bundled_templates_dir()).as_posix()
        key = BytecodeCache().get_cache_key(name, str(path))
        payload = bc_magic + pickle.dumps(_Payload(marker), 2) + b"\0"
        (folder / f"__jinja2_{key}.cache").write_bytes(payload)

    result = site.cli("publish", "--channels", "html")

    assert result.exit_code == 0, result.output
    assert not marker.exists()


def test_values_planted_in_the_cache_need_this_sites_key(site: SiteFactory) -> None:
    """A cache copied from another site (or forged) is a cold start, not a source of values.

    The control (signed with the site's own key) shows the forgery would otherwise reach
    the page: cached front matter is not read or validated again.
    """
    _story_site(site)
    assert site.cli("publish", "--channels", "html").exit_code == 0
    path = site.root / ".syndicate" / "cache" / CACHE_NAME
    page = site.root / "public/news/story-1/index.html"
    for number, key in enumerate((_key(site), b"x" * 32)):
        tables, _ = cachefile.load(path, cache_version(), _key(site))
        sources = dict(tables["sources"])
        mtime, size, packed = sources["news/story-1.md"]
        matter = ("Planted headline", *packed[3][1:])  # the title
        sources["news/story-1.md"] = (mtime, size, (*packed[:3], matter, *packed[4:]))
        cachefile.save(path, cache_version(), {**tables, "sources": sources}, None, key)
        _rerender_every_page(site, number)

        assert site.cli("publish", "--channels", "html").exit_code == 0
        assert ("Planted headline" in page.read_text("utf-8")) is (number == 0)


def test_html_planted_in_the_body_store_is_never_published(site: SiteFactory) -> None:
    _story_site(site)
    assert site.cli("publish", "--channels", "html,feeds").exit_code == 0
    store = next((site.root / ".syndicate" / "cache").glob("bodies-*.sqlite3"))
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE bodies SET html = '<script>alert(1)</script>' || html")
    _rerender_every_page(site, 1)  # so every body is fetched from the store

    result = site.cli("publish", "--channels", "html,feeds")

    assert result.exit_code == 0, result.output
    assert "altered outside syndicate" in result.output  # said, then rebuilt without it
    for page in (site.root / "public").rglob("*"):
        if page.is_file():
            assert b"<script>alert(1)" not in page.read_bytes(), page


def _key(site: SiteFactory) -> bytes:
    return cachefile.secret_key(site.config().state_dir)


def _rerender_every_page(site: SiteFactory, edit: int) -> None:
    """A site copy of the shared footer: every page is rendered again, the cache kept."""
    footer = site.root / "templates/html/partials/footer.html"
    footer.parent.mkdir(parents=True, exist_ok=True)
    bundled = (bundled_templates_dir() / "html/partials/footer.html").read_text("utf-8")
    footer.write_text(bundled + "\n" * (edit + 1), encoding="utf-8")
