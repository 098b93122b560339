"""Templates: a site's own copy of a file wins; every edit shows on the next render."""

from __future__ import annotations

import os
from pathlib import Path

from syndicate.templating import Templates


def test_templates_follow_edits_even_with_the_same_mtime(tmp_path: Path) -> None:
    site = tmp_path / "templates"
    page = site / "text" / "page.txt"
    page.parent.mkdir(parents=True)
    page.write_text("first {{ n }}", encoding="utf-8")
    assert Templates(site).render("text/page.txt", n=1) == "first 1"

    stamp = page.stat()
    page.write_text("again {{ n }}", encoding="utf-8")  # same size on purpose
    os.utime(page, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    assert Templates(site).render("text/page.txt", n=2) == "again 2"


def test_a_site_override_wins_over_a_bundled_template(tmp_path: Path) -> None:
    site = tmp_path / "templates"
    override = site / "html" / "404.html"
    override.parent.mkdir(parents=True)
    override.write_text("<p>Not here</p>", encoding="utf-8")

    assert Templates(site).render("html/404.html") == "<p>Not here</p>"
