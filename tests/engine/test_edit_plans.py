"""A resident publisher keeps each channel's plan across edits that leave it as it was.

`engine.plans`: after an edit that moves no article (and changes no field a channel plans
by), the engine renders only the pages listing an edited article, from the last plan,
without calling `render_site`. Any sequence of edits, told to one in-process publisher
as the paths a watcher saw, must still end where a `--force` build starts.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from published import assert_same_output
from syndicate_channels.feeds.build import FeedBuilder
from test_incremental_sequences import CHANNELS, EDITS, Newsroom, edit_body, edit_title, start
from test_incremental_sequences import publish as cli_publish

from syndicate.channel import Channel
from syndicate.config import load_config
from syndicate.engine import cache as cache_module
from syndicate.engine import keys
from syndicate.engine import render as render_module
from syndicate.engine.cache import Resident
from syndicate.pipeline import publish, when_idle

Stamps = dict[str, tuple[int, int]]


def stamps(root: Path) -> Stamps:
    """Every input file's (mtime, size): what a watcher would see change."""
    found = {}
    for folder in ("content", "templates"):
        for path in (root / folder).rglob("*"):
            if path.is_file():
                found[str(path)] = (path.stat().st_mtime_ns, path.stat().st_size)
    config = root / "syndicate.yaml"
    found[str(config)] = (config.stat().st_mtime_ns, config.stat().st_size)
    return found


def changed_paths(before: Stamps, after: Stamps) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


class Resident_:
    """One in-process publisher, told what changed since its last publish."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.resident = Resident()
        self.seen = stamps(root)

    def publish(self, *also: str) -> None:
        """Publish what changed, and `also` as the watcher saw it (paths gone since)."""
        now = stamps(self.root)
        changed = changed_paths(self.seen, now) + list(also)
        self.seen = now
        config = load_config(self.root / "syndicate.yaml")
        publish(config, channels=CHANNELS.split(","), resident=self.resident, changed=changed)


def planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The channels whose `render_site` ran, in order, from now on."""
    calls: list[str] = []
    for cls in Channel.__subclasses__():
        original = cls.__dict__.get("render_site")
        if original is None:
            continue

        def counting(self: Any, site: Any, _original: Any = original) -> Any:
            calls.append(self.name)
            return _original(self, site)

        monkeypatch.setattr(cls, "render_site", counting)
    return calls


def matches_cold_build(root: Path) -> None:
    cli_publish(root, "--force", "--out", str(root / "cold"))
    assert_same_output(root / "public", root / "cold")


def published(root: Path) -> tuple[Newsroom, Resident_]:
    """A newsroom and a resident publisher that has published it once."""
    room = start(root)
    publisher = Resident_(root)
    publisher.publish()
    return room, publisher


def headline_edit_keeps_plans(
    room: Newsroom, publisher: Resident_, monkeypatch: pytest.MonkeyPatch, *also: str
) -> None:
    """Story 3's headline edited and published (`also`: paths the watcher saw too): html
    and feeds render its pages from their last plans, and the tree is a cold build's."""
    calls = planned(monkeypatch)
    edit_title(room, 3, "Harbour reopens")
    publisher.publish(*also)
    assert "html" not in calls  # its pages came from the last plan
    assert "feeds" not in calls  # nor did its feeds and archive pages
    matches_cold_build(publisher.root)


def headline_edit_plans_anew(room: Newsroom, publisher: Resident_, calls: list[str]) -> None:
    """Story 3's headline edited and published: html planned its pages anew (`calls`
    from `planned`), and the tree is a cold build's."""
    edit_title(room, 3, "Harbour reopens")
    publisher.publish()
    assert "html" in calls
    matches_cold_build(publisher.root)


def test_a_headline_edit_keeps_the_html_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room, publisher = published(tmp_path)
    headline_edit_keeps_plans(room, publisher, monkeypatch)
    page = (tmp_path / "public" / "city/story-3/index.html").read_text(encoding="utf-8")
    assert "Harbour reopens &amp; more" in page


def test_a_headline_edit_renders_only_the_archive_page_listing_the_story(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Story 2 (January) lists story 3 (February) as related. An entry shows no related
    list (the feeds declare `FEED_FIELDS`), so January's archive page is not rendered."""
    room, publisher = published(tmp_path)
    rendered: list[str] = []
    original = FeedBuilder._archive

    def counting(builder: FeedBuilder, index: int, articles: Any) -> bytes:
        rendered.append(builder.pages[index].period)
        return original(builder, index, articles)

    monkeypatch.setattr(FeedBuilder, "_archive", counting)
    edit_title(room, 3, "Harbour reopens")
    publisher.publish()
    assert [period[:7] for period in rendered] == ["2024-02"]
    matches_cold_build(tmp_path)


def test_a_temporary_file_that_came_and_went_keeps_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sed -i` and editors saving through a temporary file leave one beside the article,
    gone before the publish: the edit is still only the article's."""
    room, publisher = published(tmp_path)
    folder = next((tmp_path / "content").rglob("*.md")).parent
    headline_edit_keeps_plans(room, publisher, monkeypatch, str(folder / "sedX1b2c3"))


def test_a_check_that_finds_nothing_changed_keeps_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """watch's look at the whole site once its watcher runs (which paths changed is not
    known) finds nothing to do: its first edit still keeps the plans."""
    room, publisher = published(tmp_path)
    config = load_config(tmp_path / "syndicate.yaml")
    checked = publish(config, channels=CHANNELS.split(","), resident=publisher.resident)
    assert checked.skipped
    headline_edit_keeps_plans(room, publisher, monkeypatch)


def test_the_first_edit_after_a_check_that_found_nothing_walks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check looked at every file and found the stamps of the resident's own last
    publish: the edit after it stats the saved file, not the whole content folder again
    (at 100,000 articles, ~0.7 s of watch's first edit after every start)."""
    room, publisher = published(tmp_path)
    config = load_config(tmp_path / "syndicate.yaml")
    assert publish(config, channels=CHANNELS.split(","), resident=publisher.resident).skipped
    walked: list[str] = []
    original = cache_module.content_entries

    def counting(folder: str) -> Any:
        walked.append(folder)
        return original(folder)

    monkeypatch.setattr(cache_module, "content_entries", counting)
    edit_title(room, 3, "Harbour reopens")
    publisher.publish()
    assert walked == []
    matches_cold_build(tmp_path)


def test_after_another_process_published_the_plans_are_made_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room, publisher = published(tmp_path)
    edit_title(room, 2, "Ferry timetable")
    cli_publish(tmp_path)  # as `syndicate publish` from cron would
    calls = planned(monkeypatch)
    publisher.publish()  # the watcher saw story 2 saved: nothing left to publish
    headline_edit_plans_anew(room, publisher, calls)


def test_a_file_the_last_publish_saw_then_removed_plans_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = start(tmp_path)
    picture = next((tmp_path / "content").rglob("*.md")).parent / "harbour.jpg"
    picture.write_bytes(b"not read: no story shows it")
    publisher = Resident_(tmp_path)
    publisher.publish()
    calls = planned(monkeypatch)
    picture.unlink()
    headline_edit_plans_anew(room, publisher, calls)


def test_a_picture_or_template_change_plans_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room, publisher = published(tmp_path)
    calls = planned(monkeypatch)
    room.list_heading = "Latest:"
    room.write_template()
    edit_body(room, 1, "Rates rise")
    publisher.publish()
    assert "html" in calls
    matches_cold_build(tmp_path)


EDIT_SEQUENCES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BATCHES = st.lists(st.lists(EDITS, min_size=1, max_size=3), min_size=1, max_size=4)


def edits_match_cold_build(root: Path, edits: list[list[tuple[Any, ...]]]) -> None:
    room, publisher = published(root)
    for batch in edits:
        for edit, *values in batch:
            edit(room, *values)
        publisher.publish()
    matches_cold_build(root)
    shutil.rmtree(root)


@EDIT_SEQUENCES
@given(edits=BATCHES)
def test_edits_told_to_a_resident_publisher_match_a_cold_build(
    tmp_path_factory: pytest.TempPathFactory, edits: list[list[tuple[Any, ...]]]
) -> None:
    edits_match_cold_build(tmp_path_factory.mktemp("newsroom"), edits)


@EDIT_SEQUENCES
@given(edits=BATCHES)
def test_long_pages_keyed_by_chunks_match_a_cold_build(
    tmp_path_factory: pytest.TempPathFactory, edits: list[list[tuple[Any, ...]]]
) -> None:
    # Pages listing more than CHUNK articles are swapped and keyed by the chunks an edit
    # touched (plans.LongPage); with chunks of two, most list pages and feeds are long.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "CHUNK", 2)
        edits_match_cold_build(tmp_path_factory.mktemp("newsroom"), edits)


def test_idle_time_compiles_what_the_first_edit_after_a_cold_build_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cold build renders in forked workers, so the resident process has compiled no
    # template; the idle rehearsal (Rendered.rehearse) does, not the first edit.
    threshold = render_module.PARALLEL_THRESHOLD
    monkeypatch.setattr(render_module, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(render_module, "worker_count", lambda: 2)
    room, publisher = published(tmp_path)
    monkeypatch.setattr(render_module, "PARALLEL_THRESHOLD", threshold)  # an edit's few
    when_idle(publisher.resident)
    compiled: list[str] = []
    compile_ = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *args: Any) -> Any:
        compiled.append(name or "?")
        return compile_(self, source, name, *args)

    monkeypatch.setattr(Environment, "compile", counting)
    edit_title(room, 3, "Harbour reopens")
    publisher.publish()
    assert compiled == []
    matches_cold_build(tmp_path)
