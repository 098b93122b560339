"""The manifest an edit leaves: its changes beside it, read back as the whole manifest.

An in-place commit writes what it changed (`.syndicate-manifest-changes.json`) instead
of the manifest of every file (~10 MB on a 100,000-article site), so the list of our
files must come out the same as a cold build's, and changes that do not belong to the
manifest beside them must never make a file of the user's ours.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SiteFactory
from text_site import publish, stories

from syndicate.writer import (
    CHANGES_NAME,
    MANIFEST_NAME,
    StagedOutput,
    digest,
    load_manifest,
    manifest_signature,
)

pytestmark = pytest.mark.usefixtures("text_channel")


def ours(out: Path) -> dict[str, str]:
    return load_manifest(out, out / "none").files


def on_disk(out: Path) -> dict[str, str]:
    """Every file the publish wrote, with its checksum (bookkeeping aside)."""
    return {
        p.relative_to(out).as_posix(): digest(p.read_bytes())
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".syndicate")
    }


def test_an_edit_writes_the_changes_and_they_read_back_as_a_cold_builds_manifest(
    site: SiteFactory,
) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    manifest = (out / MANIFEST_NAME).read_bytes()
    assert not (out / CHANGES_NAME).exists()  # a first publish writes the whole manifest
    site.article("news", "story-5", title="Edited five")
    (site.content / "news/story-6.md").unlink()
    publish(site)
    assert (out / MANIFEST_NAME).read_bytes() == manifest  # not rewritten
    changes = json.loads((out / CHANGES_NAME).read_bytes())
    assert changes["base"] == digest(manifest)
    assert changes["files"]["text/story-6.txt"] is None
    assert changes["files"]["text/story-5.txt"] == digest((out / "text/story-5.txt").read_bytes())
    assert ours(out) == on_disk(out)
    publish(site, "--out", str(site.root / "cold"))
    assert ours(out) == ours(site.root / "cold")


def test_changes_beyond_the_limit_write_the_manifest_whole_again(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StagedOutput, "CHANGES_LIMIT", 3)
    stories(site)
    publish(site)
    out = site.root / "public"
    site.article("news", "story-1", title="First edit")
    publish(site)  # the story and the index: two changes
    assert (out / CHANGES_NAME).exists()
    first = (out / MANIFEST_NAME).read_bytes()
    assert len(json.loads((out / CHANGES_NAME).read_bytes())["files"]) == 2
    site.article("news", "story-2", title="Second edit")
    site.article("news", "story-3", title="Second edit too")
    publish(site)  # four changes since the manifest: written whole
    assert not (out / CHANGES_NAME).exists()
    assert (out / MANIFEST_NAME).read_bytes() != first
    assert ours(out) == on_disk(out)
    site.article("news", "story-4", title="Third edit")
    publish(site)
    assert json.loads((out / CHANGES_NAME).read_bytes())["base"] == digest(
        (out / MANIFEST_NAME).read_bytes()
    )
    assert ours(out) == on_disk(out)


def test_changes_to_another_manifest_never_make_a_users_file_ours(site: SiteFactory) -> None:
    """What a crash leaves between writing the manifest whole and removing the old
    changes, or changes forged by hand: left out, so a file they name stays the user's."""
    stories(site)
    publish(site)
    out = site.root / "public"
    (out / "text/notes.txt").write_text("mine\n", encoding="utf-8")
    stale = {"base": "0" * 32, "files": {"text/notes.txt": "1" * 32, "text/story-1.txt": None}}
    (out / CHANGES_NAME).write_text(json.dumps(stale), encoding="utf-8")
    assert "text/notes.txt" not in ours(out) and "text/story-1.txt" in ours(out)
    (site.content / "news/story-2.md").unlink()
    publish(site)
    assert (out / "text/notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert not (out / "text/story-2.txt").exists()
    assert "text/notes.txt" not in ours(out)
    assert ours(out) == {k: v for k, v in on_disk(out).items() if k != "text/notes.txt"}


def test_a_swap_writes_the_manifest_whole_and_keeps_no_changes(site: SiteFactory) -> None:
    stories(site)
    publish(site)
    out = site.root / "public"
    site.article("news", "story-1", title="Edited")
    publish(site)
    assert (out / CHANGES_NAME).exists()
    for n in range(12, 40):  # most files new: the folder is swapped
        site.article("news", f"story-{n}")
    publish(site)
    assert not (out / CHANGES_NAME).exists()
    assert not (site.root / ".public.staging" / CHANGES_NAME).exists()
    assert ours(out) == on_disk(out)


def test_the_signature_of_the_live_manifest_covers_its_changes(site: SiteFactory) -> None:
    """A resident publisher takes the manifest it committed only while both files are
    the ones it wrote: another process's edit may rewrite the changes alone."""
    stories(site)
    publish(site)
    out = site.root / "public"
    site.article("news", "story-1", title="One")
    publish(site)
    before = manifest_signature(out)
    site.article("news", "story-2", title="Two")
    publish(site)
    after = manifest_signature(out)
    assert before is not None and after is not None
    assert before[0] == after[0] and before[1] != after[1]
