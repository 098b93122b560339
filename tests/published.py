"""What a publish put live, read as a partner's feed reader reads it."""

from __future__ import annotations

import os
from pathlib import Path

import feedparser

from syndicate.writer import CHANGES_NAME, MANIFEST_NAME, load_manifest, manifest_bytes


def feed_titles(root: Path) -> list[str]:
    """The entries' titles of the site's Atom feed (`root`: the site folder)."""
    parsed = feedparser.parse((root / "public/atom.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


def output_tree(out: Path) -> dict[str, bytes]:
    """Every file of an output folder, the manifest read as the publish left it: whole,
    or with the changes an in-place commit wrote beside it (a cold build writes it whole,
    an edit its changes, and both must vouch for the same files)."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    if files.pop(MANIFEST_NAME, None) is not None:
        manifest = load_manifest(out, Path(os.devnull))
        files[MANIFEST_NAME] = manifest_bytes(manifest.files, manifest.kept_dirs)
    files.pop(CHANGES_NAME, None)
    return files


def assert_same_output(live: Path, cold: Path) -> None:
    """Two output folders hold the same files, byte for byte (the manifest as read)."""
    got, expected = output_tree(live), output_tree(cold)
    assert sorted(got) == sorted(expected)
    assert [path for path in got if got[path] != expected[path]] == []
