"""An incremental publish must produce exactly what a full rebuild produces."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from published import assert_same_output

from syndicate.cli import cli
from syndicate.engine import cachefile, filestamp, stamps

REPO = Path(__file__).resolve().parent.parent
METRO_CONFIG = "site:\n  title: Metro\n  base_url: https://news.example.com/\n"


def test_edits_published_incrementally_match_a_cold_build(tmp_path: Path) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copy(REPO / "syndicate.yaml", tmp_path / "syndicate.yaml")
    config = str(tmp_path / "syndicate.yaml")
    runner = CliRunner()

    def publish(*args: str) -> None:
        result = runner.invoke(
            cli,
            ["--config", config, "publish", "--channels", "html,feeds,print", *args],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output

    publish()
    # A title that appears in other pages' related lists, prev/next links and feeds,
    # a removed article, and a new one.
    sora = tmp_path / "content/finance/financial-focus/sora-film-industry.md"
    sora.write_text(
        sora.read_text(encoding="utf-8").replace("title: 'AI & the", "title: 'Edited: AI & the", 1),
        encoding="utf-8",
    )
    (tmp_path / "content/finance/markets/bond-yields-holiday.md").unlink()
    for text in (tmp_path / "content").rglob("*.md"):  # drop it from related lists
        body = text.read_text(encoding="utf-8")
        text.write_text(body.replace(", bond-yields-holiday]", "]"), encoding="utf-8")
    (tmp_path / "content/tech/ai/new-story.md").write_text(
        "---\ntitle: A brand new story\npublished: 2024-02-29T08:00:00+08:00\ntags: [AI]\n"
        "---\nFresh text.\n",
        encoding="utf-8",
    )
    publish()
    publish("--force", "--out", str(tmp_path / "cold"))
    assert_same_output(tmp_path / "public", tmp_path / "cold")
    page = (tmp_path / "public/finance/financial-focus/sora-film-industry/index.html").read_bytes()
    assert b"Edited: AI &amp; the" in page
    assert not (tmp_path / "public/finance/markets/bond-yields-holiday/index.html").exists()
    assert (tmp_path / "public/tech/ai/new-story/index.html").is_file()


def test_edits_saved_as_cache_changes_still_match_a_cold_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two edits whose cache entries go to the changes file, not to a new snapshot."""
    monkeypatch.setattr(cachefile, "SNAPSHOT_SHARE", 0.5)  # a small site changes a lot
    (tmp_path / "syndicate.yaml").write_text(METRO_CONFIG, encoding="utf-8")
    for n in range(120):
        story = tmp_path / "content" / ("city" if n % 2 else "port") / f"story-{n:03}.md"
        story.parent.mkdir(parents=True, exist_ok=True)
        story.write_text(
            f"---\ntitle: Story {n}\npublished: 2024-03-{n % 28 + 1:02}T08:{n % 60:02}:00Z\n"
            f"tags: [tag-{n % 7}]\n---\nText of story {n}.\n",
            encoding="utf-8",
        )
    config = str(tmp_path / "syndicate.yaml")
    snapshot = tmp_path / ".syndicate/cache/build-cache.msgpack"

    def publish(*args: str) -> None:
        result = CliRunner().invoke(
            cli, ["--config", config, "publish", "--channels", "html,feeds", *args]
        )
        assert result.exit_code == 0, result.output

    publish()
    written = snapshot.read_bytes()
    for n, edit in ((5, ("Text of story 5.", "New text.")), (8, ("Story 8", "Story eight"))):
        story = next((tmp_path / "content").rglob(f"story-{n:03}.md"))
        story.write_text(story.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
        publish()
        assert snapshot.read_bytes() == written
        assert snapshot.with_name("build-cache.msgpack.changes").is_file()
    publish("--force", "--out", str(tmp_path / "cold"))
    assert_same_output(tmp_path / "public", tmp_path / "cold")
    assert b"Story eight" in (tmp_path / "public/port/story-008/index.html").read_bytes()


FIRE = "---\ntitle: Fire downtown\npublished: 2024-03-01T08:00:00Z\n---\n{} dead in fire.\n"


def fire_site(root: Path, dead: str) -> tuple[Path, Callable[[], Result]]:
    """A one-story site, and a call that publishes its HTML."""
    (root / "syndicate.yaml").write_text(METRO_CONFIG, encoding="utf-8")
    story = root / "content" / "city" / "fire.md"
    story.parent.mkdir(parents=True)
    story.write_text(FIRE.format(dead), encoding="utf-8")

    def publish() -> Result:
        config = str(root / "syndicate.yaml")
        result = CliRunner().invoke(cli, ["--config", config, "publish", "--channels", "html"])
        assert result.exit_code == 0, result.output
        return result

    return story, publish


def test_a_same_size_correction_in_the_same_clock_tick_is_still_published(
    tmp_path: Path,
) -> None:
    """A file's (mtime, size) cannot vouch for it when it changed as it was read.

    File systems keep mtimes to a clock tick (1-10 ms on ext4, 2 s on FAT), so a
    correction saved in the tick a publish read the file leaves both unchanged; os.utime
    stands in for that tick here. Git calls such entries "racily clean".
    """
    story, publish = fire_site(tmp_path, "Two")
    page = tmp_path / "public/city/fire/index.html"
    publish()
    assert "Two dead" in page.read_text(encoding="utf-8")
    tick = story.stat().st_mtime_ns
    story.write_text(FIRE.format("Six"), encoding="utf-8")  # same size
    os.utime(story, ns=(tick, tick))
    publish()
    assert "Six dead" in page.read_text(encoding="utf-8")


def test_a_publish_right_after_an_edit_lets_the_next_one_be_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The racy file's digest is checked instead of its stamp, then and later alike."""
    _, publish = fire_site(tmp_path, "Two")
    assert "nothing changed" not in publish().output  # the story was written just now: racy
    assert "nothing changed" in publish().output
    monkeypatch.setattr(filestamp, "RACY_NS", 0)  # its clock tick is long past
    assert "nothing changed" in publish().output


def test_new_code_is_no_no_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """syndicate upgraded (or checked out) without a new version number: the next
    publish goes through the site instead of keeping output the old code wrote."""
    _, publish = fire_site(tmp_path, "Two")
    publish()
    assert "nothing changed" in publish().output
    changed = [*stamps.code_stamp(), ("syndicate/model.py", 1, 2)]
    monkeypatch.setattr(stamps, "code_stamp", lambda: changed)
    assert "nothing changed" not in publish().output
    assert "nothing changed" in publish().output
