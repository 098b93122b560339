"""`syndicate watch` as a newsroom runs it: a real process publishing every saved edit."""

from __future__ import annotations

import queue
import signal
import subprocess
import time
from contextlib import AbstractContextManager

from conftest import SiteFactory
from lines import running, wait_for
from published import feed_titles
from test_incremental_sequences import tree

from syndicate.config import load_config
from syndicate.engine.watch import relevant

CHANNELS = "html,feeds"
Lines = queue.Queue[str]


def watching(site: SiteFactory) -> AbstractContextManager[tuple[subprocess.Popen[str], Lines]]:
    return running(site.config_path, "watch", "--channels", CHANNELS)


def newsroom(site: SiteFactory, stories: int = 40) -> None:
    site.section("finance", "Finance")
    for n in range(stories):
        day = n % 28 + 1
        site.article(
            "finance", f"story-{n}", f"Body {n}.\n", published=f"2024-02-{day:02d}T09:00:00+08:00"
        )
    site.write_config()


def page(site: SiteFactory, slug: str) -> str:
    return (site.root / "public/finance" / slug / "index.html").read_text("utf-8")


def test_watch_publishes_edits_survives_broken_files_and_stops_on_sigterm(
    site: SiteFactory,
) -> None:
    newsroom(site)
    with watching(site) as (process, lines):
        wait_for("published: ", lines)
        wait_for("watching content", lines)
        assert "Story 39" in page(site, "story-39")

        site.article("finance", "story-39", "Corrected.\n", title="Six dead in harbour fire",
                     published="2024-02-12T09:00:00+08:00")  # fmt: skip
        assert "written" in wait_for("changed content/finance/story-39.md", lines)
        assert "Six dead in harbour fire" in page(site, "story-39")
        assert "Six dead in harbour fire" in feed_titles(site.root)

        site.raw("finance/broken.md", "---\ntitle: [unclosed\n---\nBody\n")
        assert "broken.md" in wait_for("error:", lines)
        wait_for("the last good output stays live", lines)
        assert "Six dead in harbour fire" in page(site, "story-39")

        site.article("finance", "broken", "Fixed.\n", title="Mended story",
                     published="2024-02-13T09:00:00+08:00")  # fmt: skip
        wait_for("changed content/finance/broken.md", lines)
        assert "Mended story" in page(site, "broken")
        assert "Mended story" in feed_titles(site.root)

        (site.content / "finance/.story-1.md.swp").write_bytes(b"vim swap")
        site.article("finance", "story-2", "Second edit.\n", title="Port reopens",
                     published="2024-02-03T09:00:00+08:00")  # fmt: skip
        line = wait_for("changed ", lines)
        assert "story-2.md" in line and ".swp" not in line  # editors' files are not edits

        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        wait_for("stopped", lines, 10)


def test_a_watch_killed_mid_publish_leaves_output_a_restart_completes(
    site: SiteFactory,
) -> None:
    newsroom(site, stories=120)
    for kill_after in (0.05, 0.15, 0.3):
        with watching(site) as (process, lines):
            wait_for("watching content", lines)
            footer = site.root / "templates/html/partials/footer.html"  # every page changes
            footer.parent.mkdir(parents=True, exist_ok=True)
            footer.write_text(f"<footer>Edition {kill_after}</footer>\n", encoding="utf-8")
            time.sleep(kill_after)
            process.kill()
            process.wait(10)
    with watching(site) as (process, lines):
        wait_for("watching content", lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    fresh = site.root / "fresh"
    assert (
        site.cli("publish", "--channels", CHANNELS, "--force", "--out", str(fresh)).exit_code == 0
    )
    assert tree(site.root / "public") == tree(fresh)
    assert "Edition 0.3" in page(site, "story-5")


def test_only_files_a_publish_reads_count_as_changes(site: SiteFactory) -> None:
    config = site.config()
    content = config.content_dir
    assert relevant(config, str(content / "finance/story.md"))
    assert relevant(config, str(content / "finance/_index.md"))
    assert relevant(config, str(content / "finance"))  # a folder renamed or removed
    assert relevant(config, str(config.static_dir / "media/photo.jpg"))
    assert relevant(config, str(content / "finance/photo.jpg"))  # a picture beside a story
    for name in (".story.md.swp", "story.md~", ".#story.md", "4913"):
        assert not relevant(config, str(content / "finance" / name)), name


def test_watch_repeats_only_the_warnings_of_the_files_just_saved(site: SiteFactory) -> None:
    from syndicate.engine.watch import FIRST_WARNINGS, warnings_to_show
    from syndicate.errors import Problem, Warnings

    site.write_config()
    config = site.config()
    saved = site.article("news", "fresh")
    warnings = [f"news/old-{n}.md: link /gone/ leads to no page of the site" for n in range(50)]
    warnings += ["news/fresh.md:4: image: /a.jpg is not in static/ nor beside the article"]
    found = Warnings(lines=warnings)
    assert warnings_to_show(config, found, [str(saved)]) == warnings[-1:]
    assert warnings_to_show(config, found, None) == warnings[:FIRST_WARNINGS]
    assert warnings_to_show(config, found, []) == []
    # Problems from the build are put into words only when shown.
    problems = [
        Problem(f"news/old-{n}.md", "link /gone/ leads nowhere", 2, "warning") for n in range(9)
    ]
    problems.append(Problem("news/fresh.md", "image: /a.jpg is missing", 4, "warning"))
    found = Warnings(problems, ["static/.env: skipped: dot-files are not published"])
    assert warnings_to_show(config, found, [str(saved)]) == [
        "news/fresh.md:4: image: /a.jpg is missing"
    ]
    assert len(found) == 11 and found[-1].startswith("static/.env") and found[0] == str(problems[0])
    assert list(found)[:FIRST_WARNINGS] == warnings_to_show(config, found, None)


def newest_cache_write(site: SiteFactory) -> int:
    """When the build cache was last written (its snapshot or its file of changes)."""
    folder = load_config(site.config_path).cache_dir
    return max(p.stat().st_mtime_ns for p in folder.glob("build-cache.msgpack*"))


def test_watch_saves_its_build_cache_when_idle_and_when_stopped(site: SiteFactory) -> None:
    newsroom(site)
    with watching(site) as (process, lines):
        wait_for("watching content", lines)
        time.sleep(1.5)  # idle: the first publish's cache is saved
        before = newest_cache_write(site)
        site.article("finance", "story-3", "Edited.\n", title="Rates hold",
                     published="2024-02-04T09:00:00+08:00")  # fmt: skip
        wait_for("changed content/finance/story-3.md", lines)
        deadline = time.monotonic() + 20
        while newest_cache_write(site) == before:  # saved once a second passed quietly
            assert time.monotonic() < deadline, "the cache was never saved after the edit"
            time.sleep(0.1)
        idle = newest_cache_write(site)
        site.article("finance", "story-4", "Edited.\n", title="Port busy",
                     published="2024-02-05T09:00:00+08:00")  # fmt: skip
        wait_for("changed content/finance/story-4.md", lines)
        process.send_signal(signal.SIGTERM)  # at once: saved on the way out
        assert process.wait(30) == 0
    assert newest_cache_write(site) > idle
    # The saved cache is the edited site's: a publish finds nothing left to do.
    result = site.cli("publish", "--channels", CHANNELS)
    assert result.exit_code == 0 and "nothing" in result.output.lower(), result.output


def test_an_edit_saved_while_the_config_is_broken_goes_live_once_it_is_mended(
    site: SiteFactory,
) -> None:
    newsroom(site)
    with watching(site) as (_process, lines):
        wait_for("watching content", lines)
        good = site.config_path.read_text()
        site.config_path.write_text(good + "\nnot: [valid\n")
        wait_for("the last good output stays live", lines)
        site.article("finance", "story-7", "Edited.\n", title="Saved while the config was broken",
                     published="2024-02-08T09:00:00+08:00")  # fmt: skip
        wait_for("the last good output stays live", lines)
        site.config_path.write_text(good)
        wait_for("changed syndicate.yaml", lines)
        assert "Saved while the config was broken" in page(site, "story-7")


def test_a_publish_while_watch_runs_is_answered_by_watch_once_it_caught_up(
    site: SiteFactory,
) -> None:
    newsroom(site)
    with watching(site) as (process, lines):
        wait_for("watching content", lines)
        for round_ in range(4):  # saved, and published at once
            title = f"Harbour reopens, day {round_}"
            site.article("finance", "story-9", "Edited.\n", title=title,
                         published="2024-02-10T09:00:00+08:00")  # fmt: skip
            result = site.cli("publish", "--channels", CHANNELS)
            assert result.exit_code == 0, result.output
            assert f"by syndicate watch (pid {process.pid})" in result.output
            assert title in page(site, "story-9") and title in feed_titles(site.root)
        again = site.cli("publish", "--channels", CHANNELS)
        assert "nothing changed" in again.output and "syndicate watch" in again.output

        site.raw("finance/story-9.md", "---\ntitle: [unclosed\n---\nBody\n")
        broken = site.cli("publish", "--channels", CHANNELS)
        assert broken.exit_code == 1 and "finance/story-9.md:3" in broken.output
        assert "nothing was published" in broken.output
        assert "Harbour reopens, day 3" in page(site, "story-9")

        elsewhere = site.cli("publish", "--channels", "html")  # not what watch publishes
        assert elsewhere.exit_code == 1 and "watch" not in elsewhere.output

        status = site.cli("resident", "status").output
        assert f"syndicate watch (pid {process.pid}) answers" in status
        refused = site.cli("resident", "stop")
        assert refused.exit_code == 1 and "stop it where it runs" in refused.output
        assert process.poll() is None
