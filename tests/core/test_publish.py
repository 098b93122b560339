"""Publishing end to end through the CLI: atomic output, only changed files rewritten."""

from __future__ import annotations

import gc
import os
import re

import pytest
from conftest import SiteFactory

pytestmark = pytest.mark.usefixtures("text_channel")


def publish(site: SiteFactory, *args: str) -> str:
    result = site.cli("publish", *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_publish_writes_channel_output(site: SiteFactory) -> None:
    site.article("news", "first", title="First & <best>")
    output = publish(site)
    out = site.root / "public"
    assert (out / "text/first.txt").read_text(encoding="utf-8") == "First & <best>\n"
    assert "published 1 articles" in output and "1 written" not in output


def test_republish_without_changes_touches_nothing(site: SiteFactory) -> None:
    site.article("news", "first")
    site.article("news", "second")
    publish(site)
    page = site.root / "public/text/first.txt"
    before = page.stat()
    output = publish(site)
    after = page.stat()
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)
    assert "nothing changed" in output
    forced = publish(site, "--force")  # renders everything again, still writes nothing
    assert "0 written" in forced
    assert page.stat().st_mtime_ns == before.st_mtime_ns


def test_touching_a_file_reuses_cached_output(site: SiteFactory) -> None:
    site.article("news", "first")
    site.article("news", "second")
    publish(site)
    path = site.content / "news/first.md"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # same bytes, new mtime
    output = publish(site)
    assert "0 written" in output and "3 pieces reused" in output  # both articles and the index


def test_edit_rewrites_only_dependent_files(site: SiteFactory) -> None:
    site.article("news", "first")
    site.article("news", "second")
    publish(site)
    out = site.root / "public"
    untouched = (out / "text/second.txt").stat().st_mtime_ns
    site.article("news", "first", title="First, edited")
    output = publish(site)
    assert (out / "text/first.txt").read_text(encoding="utf-8") == "First, edited\n"
    assert (out / "text/second.txt").stat().st_mtime_ns == untouched
    assert "2 written" in output  # the article and the index


def test_removed_article_disappears(site: SiteFactory) -> None:
    site.article("news", "first")
    gone = site.article("news", "second")
    publish(site)
    gone.unlink()
    publish(site)
    assert not (site.root / "public/text/second.txt").exists()


def test_bad_content_keeps_previous_output(site: SiteFactory) -> None:
    site.article("news", "first")
    publish(site)
    site.raw("news/broken.md", "---\ntitle: [oops\n---\n")
    result = site.cli("publish")
    assert result.exit_code == 1
    assert re.search(r"news/broken.md:[23]: invalid YAML", result.output)
    assert "nothing was published" in result.output
    assert "Traceback" not in result.output
    assert (site.root / "public/text/first.txt").exists()


def test_failing_channel_keeps_previous_output(site: SiteFactory) -> None:
    site.article("news", "first")
    site.article("news", "second")
    publish(site)
    snapshot = sorted(p.relative_to(site.root) for p in (site.root / "public").rglob("*"))
    site.article("news", "first", title="Changed")
    site.write_config(channels={"text": {"fail_on": "second"}})
    result = site.cli("publish")
    assert result.exit_code == 1 and "refusing to render second" in result.output
    assert sorted(p.relative_to(site.root) for p in (site.root / "public").rglob("*")) == snapshot
    assert (site.root / "public/text/first.txt").read_text(encoding="utf-8") == "First\n"
    assert not (site.root / ".public.staging").exists()


def test_out_and_drafts_options(site: SiteFactory) -> None:
    site.article("news", "ready")
    site.article("news", "wip", draft=True)
    publish(site, "--out", str(site.root / "preview"), "--drafts")
    assert (site.root / "preview/text/wip.txt").exists()
    assert not (site.root / "public").exists()


def test_unknown_channel_setting_names_the_key(site: SiteFactory) -> None:
    site.article("news", "first")
    site.write_config(channels={"text": {"sufix": ".md"}})
    result = site.cli("publish")
    assert result.exit_code == 1
    assert "channels.text.sufix: unknown setting" in result.output


def test_unknown_channel_is_an_error(site: SiteFactory) -> None:
    site.article("news", "first")
    result = site.cli("publish", "--channels", "carrier-pigeon")
    assert result.exit_code == 1 and "unknown channel 'carrier-pigeon'" in result.output


def test_output_swap_is_atomic_on_disk(site: SiteFactory) -> None:
    site.article("news", "first")
    publish(site)
    inode = os.stat(site.root / "public").st_ino
    site.article("news", "first", title="New")
    publish(site)
    assert os.stat(site.root / "public").st_ino != inode  # a whole new folder swapped in


def test_static_files_are_copied_and_clashes_are_errors(site: SiteFactory) -> None:
    site.article("news", "first")
    static = site.root / "static"
    (static / "media").mkdir(parents=True)
    (static / "media/photo.jpg").write_bytes(b"\xff\xd8jpeg")
    publish(site)
    assert (site.root / "public/media/photo.jpg").read_bytes() == b"\xff\xd8jpeg"
    (static / "text").mkdir()
    (static / "text/index.txt").write_text("clash", encoding="utf-8")
    result = site.cli("publish")
    assert result.exit_code == 1 and "text/index.txt" in result.output


def test_small_edit_is_committed_in_place(site: SiteFactory) -> None:
    for n in range(12):
        site.article("news", f"story-{n}")
    publish(site)
    out = site.root / "public"
    folder_inode = out.stat().st_ino
    untouched = (out / "text/story-3.txt").stat()
    site.article("news", "story-5", title="Story five, edited")
    publish(site)
    assert out.stat().st_ino == folder_inode  # files replaced one by one, no folder swap
    assert (out / "text/story-5.txt").read_text(encoding="utf-8") == "Story five, edited\n"
    assert (out / "text/story-3.txt").stat().st_mtime_ns == untouched.st_mtime_ns
    assert not (site.root / ".public.staging").exists()


def test_publishing_elsewhere_does_not_disturb_the_main_output(site: SiteFactory) -> None:
    site.article("news", "first")
    publish(site)
    page = site.root / "public/text/first.txt"
    before = page.stat().st_mtime_ns
    publish(site, "--out", str(site.root / "preview"))
    output = publish(site, "--force")  # re-render everything, compare with the live files
    assert "0 written" in output
    assert page.stat().st_mtime_ns == before


def test_edit_saved_during_a_publish_is_published_next_time(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import syndicate.pipeline as pipeline

    site.article("news", "first", title="Before")
    publish(site)
    real_load_site = pipeline.load_site

    def load_then_edit(*args: object, **kwargs: object) -> object:
        loaded = real_load_site(*args, **kwargs)  # type: ignore[arg-type]
        site.article("news", "first", title="Saved while publishing")  # after the read
        return loaded

    site.article("news", "first", title="During")
    monkeypatch.setattr(pipeline, "load_site", load_then_edit)
    publish(site)
    monkeypatch.setattr(pipeline, "load_site", real_load_site)
    assert "During" in (site.root / "public/text/first.txt").read_text(encoding="utf-8")
    output = publish(site)  # not "nothing changed": the last edit was never read
    assert "nothing changed" not in output
    page = (site.root / "public/text/first.txt").read_text(encoding="utf-8")
    assert "Saved while publishing" in page


def test_a_second_publish_waits_for_the_running_one(site: SiteFactory) -> None:
    import subprocess
    import sys
    import time

    from syndicate.engine.lock import publish_lock

    site.article("news", "first")
    site.write_config()
    command = [sys.executable, "-m", "syndicate", "publish", "--channels", "feeds"]
    with publish_lock(site.config().cache_dir):  # as if another publish were running
        waiting = subprocess.Popen(
            command, cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        time.sleep(1.5)
        assert waiting.poll() is None  # still waiting
        assert not (site.root / "public").exists()
    output, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, output
    assert (site.root / "public/atom.xml").is_file()


def test_publishing_leaves_the_garbage_collector_as_it_found_it(site: SiteFactory) -> None:
    site.article("news", "first")
    assert gc.isenabled()
    publish(site)
    assert gc.isenabled()  # `serve` publishes again and again in one process
    gc.disable()
    try:
        publish(site, "--force")
        assert not gc.isenabled()
    finally:
        gc.enable()
