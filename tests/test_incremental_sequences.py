"""Any sequence of edits, each published incrementally, ends where a cold build starts.

The build cache decides what to re-render from fingerprints of what each page and feed
shows. A dependency it misses leaves a stale page: a changed headline still in a related
list, a moved article still in its old section's feed. Hypothesis draws sequences of the
edits a newsroom makes (bodies, headlines, dates, tags, related lists, sections, new and
removed articles, section titles, a template, a setting) and the published tree after
them must equal a `--force` build's, byte for byte.
"""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from published import assert_same_output, output_tree

from syndicate.cli import cli

SECTIONS = ("city", "city/harbour", "world")
TAGS = ("port", "rates", "rail", "storm")
CHANNELS = "html,feeds,print"


@dataclass
class Story:
    section: str
    title: str
    day: int
    tags: list[str]
    related: list[str] = field(default_factory=list)
    body: str = "First paragraph.\n"


@dataclass
class Newsroom:
    """The site on disk, rewritten file by file as edits come in."""

    root: Path
    stories: dict[str, Story] = field(default_factory=dict)
    per_page: int = 2
    list_heading: str = ""  # a site override of html/list.html when set
    ticks: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def write_story(self, slug: str) -> None:
        story = self.stories[slug]
        matter = {
            "title": story.title,
            # Days over six months: the feeds get monthly archive pages to link.
            "published": f"2024-{(story.day - 1) // 28 + 1:02}-{(story.day - 1) % 28 + 1:02}"
            "T08:00:00Z",
            "tags": story.tags,
            "related": [r for r in story.related if r in self.stories and r != slug],
        }
        text = "---\n" + yaml.safe_dump(matter, sort_keys=False) + "---\n" + story.body
        self._write(self.root / "content" / story.section / f"{slug}.md", text)

    def remove_story(self, slug: str) -> None:
        story = self.stories.pop(slug)
        (self.root / "content" / story.section / f"{slug}.md").unlink()
        for other, rest in self.stories.items():
            if slug in rest.related:
                rest.related.remove(slug)
                self.write_story(other)

    def write_section(self, path: str, title: str) -> None:
        matter = yaml.safe_dump({"title": title})
        self._write(self.root / "content" / path / "_index.md", f"---\n{matter}---\n")

    def write_config(self) -> None:
        config = {
            "site": {"title": "Metro", "base_url": "https://news.example.com/"},
            "channels": {"html": {"per_page": self.per_page}, "feeds": {"limit": 3}},
        }
        self._write(self.root / "syndicate.yaml", yaml.safe_dump(config))

    def write_template(self) -> None:
        template = self.root / "templates" / "html" / "list.html"
        if not self.list_heading:
            template.unlink(missing_ok=True)
            return
        self._write(
            template,
            '{% extends "html/base.html" %}{% block main %}<h1>' + self.list_heading
            + " {{ heading }}</h1>{% for t in items %}<p>{{ t.title }}</p>{% endfor %}"
            "{% endblock %}",
        )  # fmt: skip

    def _write(self, path: Path, text: str) -> None:
        """Write, then give the file an mtime of its own well in the past: every edit is
        seen by its stamp, and none is racy (that case has tests of its own)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        when = 1_600_000_000_000_000_000 + next(self.ticks) * 1_000_000_000
        os.utime(path, ns=(when, when))


def start(root: Path) -> Newsroom:
    room = Newsroom(root)
    for n in range(7):
        slug = f"story-{n}"
        room.stories[slug] = Story(
            SECTIONS[n % 3], f"Story {n}", n * 12 + 1, [TAGS[n % 4]], [f"story-{(n + 1) % 7}"]
        )
    room.write_config()
    for path in ("city", "world"):
        room.write_section(path, path.title())
    for slug in room.stories:
        room.write_story(slug)
    return room


# --- the edits: each takes the newsroom and drawn values, and rewrites what it touches --


def edit_body(room: Newsroom, pick: int, text: str) -> None:
    slug = sorted(room.stories)[pick % len(room.stories)]
    room.stories[slug].body = f"{text}\n\n## More\n\nSecond paragraph.\n"
    room.write_story(slug)


def edit_title(room: Newsroom, pick: int, text: str) -> None:
    slug = sorted(room.stories)[pick % len(room.stories)]
    room.stories[slug].title = f"{text} & more"
    room.write_story(slug)


def redate(room: Newsroom, pick: int, day: int) -> None:
    slug = sorted(room.stories)[pick % len(room.stories)]
    room.stories[slug].day = day
    room.write_story(slug)


def retag(room: Newsroom, pick: int, tags: list[str]) -> None:
    slug = sorted(room.stories)[pick % len(room.stories)]
    room.stories[slug].tags = tags
    room.write_story(slug)


def relate(room: Newsroom, pick: int, others: list[int]) -> None:
    slugs = sorted(room.stories)
    slug = slugs[pick % len(slugs)]
    room.stories[slug].related = [slugs[o % len(slugs)] for o in others]
    room.write_story(slug)


def move(room: Newsroom, pick: int, section: int) -> None:
    slug = sorted(room.stories)[pick % len(room.stories)]
    story = room.stories[slug]
    (room.root / "content" / story.section / f"{slug}.md").unlink()
    story.section = SECTIONS[section % len(SECTIONS)]
    room.write_story(slug)


def add(room: Newsroom, section: int, day: int) -> None:
    slug = f"new-{next(room.ticks)}"
    room.stories[slug] = Story(SECTIONS[section % len(SECTIONS)], f"New {slug}", day, ["port"])
    room.write_story(slug)


def remove(room: Newsroom, pick: int) -> None:
    if len(room.stories) > 2:
        room.remove_story(sorted(room.stories)[pick % len(room.stories)])


def retitle_section(room: Newsroom, section: int, text: str) -> None:
    room.write_section(("city", "world")[section % 2], text)


def set_per_page(room: Newsroom, per_page: int) -> None:
    room.per_page = per_page
    room.write_config()


def set_list_template(room: Newsroom, heading: str) -> None:
    room.list_heading = heading
    room.write_template()


words = st.text(alphabet="abcdefghij <>&é", min_size=1, max_size=12).map(str.strip).filter(bool)
picks = st.integers(0, 20)
days = st.integers(1, 168)
EDITS = st.one_of(
    st.tuples(st.just(edit_body), picks, words),
    st.tuples(st.just(edit_title), picks, words),
    st.tuples(st.just(redate), picks, days),
    st.tuples(st.just(retag), picks, st.lists(st.sampled_from(TAGS), max_size=2, unique=True)),
    st.tuples(st.just(relate), picks, st.lists(picks, max_size=3)),
    st.tuples(st.just(move), picks, picks),
    st.tuples(st.just(add), picks, days),
    st.tuples(st.just(remove), picks),
    st.tuples(st.just(retitle_section), picks, words),
    st.tuples(st.just(set_per_page), st.integers(1, 3)),
    st.tuples(st.just(set_list_template), st.sampled_from(["", "Latest:", "News:"])),
)


# For the sequences driving a real process (watch, a resident publisher): fewer, slower.
PROCESS_SEQUENCES = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BATCHES = st.lists(st.lists(EDITS, min_size=1, max_size=3), min_size=1, max_size=3)
# Broken files saved between batches, mended again: a story (by pick) or the config.
BREAKS = st.lists(st.one_of(st.integers(0, 20), st.just("config")), max_size=2)


def tree(folder: Path) -> dict[str, bytes]:
    return output_tree(folder)


def apply(room: Newsroom, batch: list[tuple[Any, ...]]) -> None:
    """One batch of edits (`BATCHES`), saved one after the other."""
    for edit, *values in batch:
        edit(room, *values)


def publish(root: Path, *args: str) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(root / "syndicate.yaml"), "-q", "publish", "--channels", CHANNELS,
              *args],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=BATCHES)
def test_edits_published_one_publish_at_a_time_match_a_cold_build(
    tmp_path_factory: pytest.TempPathFactory, edits: list[list[tuple[Any, ...]]]
) -> None:
    root = tmp_path_factory.mktemp("newsroom")
    room = start(root)
    publish(root)
    for batch in edits:  # the edits between two publishes
        apply(room, batch)
        publish(root)
    publish(root, "--force", "--out", str(root / "cold"))
    assert_same_output(root / "public", root / "cold")
    shutil.rmtree(root)
