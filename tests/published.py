"""What a publish put live, read as a partner's feed reader reads it."""

from __future__ import annotations

from pathlib import Path

import feedparser


def feed_titles(root: Path) -> list[str]:
    """The entries' titles of the site's Atom feed (`root`: the site folder)."""
    parsed = feedparser.parse((root / "public/atom.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]
