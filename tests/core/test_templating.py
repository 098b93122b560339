"""Compiled templates are kept between runs, but never outlive an edit or an override."""

from __future__ import annotations

import os
from pathlib import Path

from syndicate.templating import Templates


def test_compiled_templates_follow_edits_even_with_the_same_mtime(tmp_path: Path) -> None:
    site, compiled = tmp_path / "templates", tmp_path / "cache"
    page = site / "text" / "page.txt"
    page.parent.mkdir(parents=True)
    page.write_text("first {{ n }}", encoding="utf-8")
    assert Templates(site, compiled).render("text/page.txt", n=1) == "first 1"
    assert list(compiled.iterdir())  # the compiled code was kept

    stamp = page.stat()
    page.write_text("again {{ n }}", encoding="utf-8")  # same size on purpose
    os.utime(page, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    assert Templates(site, compiled).render("text/page.txt", n=2) == "again 2"


def test_a_site_override_wins_over_a_compiled_bundled_template(tmp_path: Path) -> None:
    site, compiled = tmp_path / "templates", tmp_path / "cache"
    Templates(site, compiled).env.get_template("html/404.html")  # compiled and kept
    assert list(compiled.iterdir())
    override = site / "html" / "404.html"
    override.parent.mkdir(parents=True)
    override.write_text("<p>Not here</p>", encoding="utf-8")

    assert Templates(site, compiled).render("html/404.html") == "<p>Not here</p>"
