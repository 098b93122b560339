"""The corrections store on its own, SQLite and PostgreSQL alike (one suite, two backends),
and that `state_url` picks PostgreSQL for it as for the other delivery stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SiteFactory

from syndicate.delivery import corrections, stores
from syndicate.delivery.corrections import (
    Changes,
    Corrected,
    Revision,
    Revisions,
    SqliteRevisions,
    apply,
    apply_from,
)
from syndicate.delivery.pg_corrections import PgRevisions
from syndicate.model import Site

FIRST = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
EDITED = datetime(2030, 6, 2, 10, 15, tzinfo=UTC)


def open_store(ref: Path | str) -> Revisions:
    if isinstance(ref, Path):
        return SqliteRevisions(ref)
    return PgRevisions(ref, retry_for=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def ref(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return corrections.store_path(tmp_path / "state")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(ref: Path | str) -> Iterator[Revisions]:
    opened = open_store(ref)
    yield opened
    opened.close()


def test_saved_revisions_load_back_and_later_saves_replace_them(store, ref):
    assert store.load() == {}
    store.save([])  # a publish that changed nothing writes nothing
    first = [
        Revision("a", "h1", None, None),
        Revision("b", "h1", "2030-06-01T09:00:00+08:00", "2030-06-02T10:15:00+00:00"),
    ]
    store.save(first)
    assert store.load() == {r.uid: r for r in first}
    store.save([Revision("a", "h2", None, "2030-06-03T08:00:00+00:00")])
    store.close()
    reopened = open_store(ref)  # durable: another process (or host) sees the same
    try:
        assert reopened.load() == {
            "a": Revision("a", "h2", None, "2030-06-03T08:00:00+00:00"),
            "b": first[1],
        }
    finally:
        reopened.close()


def test_an_undeclared_edit_is_dated_once_across_publishes(store, ref, site: SiteFactory):
    story = site.article("news", "port-fire", "Three dead.\n")
    built, revised = apply(site.build().site, store.load(), FIRST)
    assert [r.changed_at for r in revised] == [None]  # first publish: nothing to date
    store.save(revised)

    story.write_text(story.read_text("utf-8").replace("Three", "Two"), "utf-8")
    built, revised = apply(site.build().site, store.load(), EDITED)
    assert [r.changed_at for r in revised] == [EDITED.isoformat()]
    (article,) = built.articles
    assert article.updated == EDITED
    store.save(revised)

    later = datetime(2030, 6, 3, tzinfo=UTC)
    again, revised = apply(site.build().site, store.load(), later)
    assert revised == []  # the same content keeps the first date it was seen
    assert again.articles[0].updated == EDITED


def test_state_url_puts_corrections_in_postgresql(site: SiteFactory, pg_url: str) -> None:
    site.write_config(state_url=pg_url)
    config = site.config()
    sqlite_file = corrections.store_path(config.state_dir)
    for opened in (corrections.open_revisions(config), stores.open_revisions(config, sqlite_file)):
        assert isinstance(opened, PgRevisions)
        opened.save([Revision("a", "h1", None, None)])
        opened.close()
    assert not sqlite_file.exists()
    check = PgRevisions(pg_url, retry_for=5)
    try:
        assert list(check.load()) == ["a"]
    finally:
        check.close()


def test_without_state_url_corrections_stay_in_sqlite_under_state_dir(site: SiteFactory) -> None:
    config = site.config()
    by_config = corrections.open_revisions(config)
    by_folder = corrections.open_revisions(config.state_dir)  # as the pipeline calls it
    for opened in (by_config, by_folder):
        assert isinstance(opened, SqliteRevisions)
        opened.close()
    assert corrections.store_path(config.state_dir).exists()


def test_state_migrate_creates_the_corrections_schema(site: SiteFactory, pg_url: str) -> None:
    site.write_config(state_url=pg_url)
    migrated = site.cli("state", "migrate")
    assert migrated.exit_code == 0, migrated.output
    assert "syndicate_corrections: schema version 0 -> 2" in migrated.output


def test_changes_are_the_rows_saved_since_a_mark_by_any_process(store, ref, tmp_path):
    assert store.changes(None).whole
    store.save([Revision("a", "h1", None, None), Revision("b", "h1", None, None)])
    start = store.changes(None)
    assert start.whole and set(start.rows) == {"a", "b"}
    assert store.changes(start.mark) == Changes({}, start.mark, False)
    other = open_store(ref)  # another process, or host
    try:
        other.save([Revision("b", "h2", None, "2030-06-03T08:00:00+00:00")])
    finally:
        other.close()
    since = store.changes(start.mark)
    assert not since.whole
    assert since.rows == {"b": Revision("b", "h2", None, "2030-06-03T08:00:00+00:00")}
    store_id, generation = since.mark
    assert store.changes((store_id, generation + 5)).whole  # a store gone back in time
    assert store.changes(("another store", generation)).whole


def watched_memo(site: SiteFactory) -> tuple[Corrected, Site, list[str]]:
    """A fresh memo, a site of 12 stories (enough for `replacing` to swap rather than
    build anew), and the slugs the memo looks at, as it looks at them."""
    for n in range(12):
        site.article("news", f"s{n}", published=f"2024-01-{n + 1:02d}T08:00:00Z")
    memo = Corrected()
    looked: list[str] = []
    one = memo.one
    memo.one = lambda article, *rest: looked.append(article.slug) or one(article, *rest)  # type: ignore[method-assign]
    return memo, site.build().site, looked


def dated_elsewhere(ref: Path | str, article: Any) -> None:
    """Another host (its own connection) dates a correction of `article` in 2031."""
    other = open_store(ref)
    try:
        other.save([Revision(article.uid, article.content_hash, None, "2031-01-01T00:00:00+00:00")])
    finally:
        other.close()


def test_a_resident_memo_reads_on_and_corrects_as_reading_everything(store, ref, site):
    memo, last, looked = watched_memo(site)

    def publish(swap: dict[str, Any], now: datetime, save: bool = True) -> Site:
        """A resident publish of `last` with `swap` swapped in, checked against a fresh one."""
        nonlocal last
        last = last.replacing({s: replace(last.by_slug[s], **f) for s, f in swap.items()})
        looked.clear()
        corrected, revised = apply_from(last, store, now, memo)
        fresh, fresh_revised = apply(last, store.load(), now)
        assert revised == fresh_revised
        assert [a.updated for a in corrected.articles] == [a.updated for a in fresh.articles]
        assert [a.fingerprint for a in corrected.articles] == [
            a.fingerprint for a in fresh.articles
        ]
        if save:
            store.save(revised)
        return corrected

    publish({}, FIRST)
    done = publish({"s3": {"content_hash": "edited"}}, EDITED, save=False)  # a preview
    assert done.by_slug["s3"].updated == EDITED
    later = datetime(2030, 6, 3, tzinfo=UTC)
    assert publish({"s5": {}}, later).by_slug["s3"].updated == later  # dated again: unsaved
    assert sorted(looked) == ["s3", "s5"]  # the swapped and the pending, not all 12
    assert publish({"s5": {}}, datetime(2030, 6, 4, tzinfo=UTC)).by_slug["s3"].updated == later
    dated_elsewhere(ref, last.by_slug["s7"])  # another host dates a correction of s7
    seen = publish({"s5": {}}, datetime(2030, 6, 5, tzinfo=UTC))
    assert seen.by_slug["s7"].updated == datetime(2031, 1, 1, tzinfo=UTC)
    assert sorted(looked) == ["s5", "s7"]  # the swapped and the row another host wrote


def test_a_store_from_before_generations_is_upgraded_with_its_rows(tmp_path: Path) -> None:
    import sqlite3

    path = corrections.store_path(tmp_path / "state")
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as old:  # as the first version of the store left it
        old.execute(corrections.MIGRATIONS[0])
        old.execute("INSERT INTO revisions VALUES ('a', 'h1', NULL, '2030-06-01T00:00:00+00:00')")
        old.execute("PRAGMA user_version=1")
    store = SqliteRevisions(path)
    try:
        start = store.changes(None)
        assert start.rows == {"a": Revision("a", "h1", None, "2030-06-01T00:00:00+00:00")}
        store.save([Revision("b", "h1", None, None)])
        assert set(store.changes(start.mark).rows) == {"b"}
    finally:
        store.close()


def test_a_resident_memo_does_not_read_back_its_own_saves(store, ref, site):
    """After a first publish saves every article's record, the first edit looks at the
    edited article only; a save by another host in between still reaches it."""
    memo, last, looked = watched_memo(site)

    def other_host_dates_s7() -> None:
        dated_elsewhere(ref, last.by_slug["s7"])

    def publish(swap: dict[str, Any], now: datetime, between: Any = lambda: None) -> Site:
        nonlocal last
        last = last.replacing({s: replace(last.by_slug[s], **f) for s, f in swap.items()})
        looked.clear()
        corrected, revised = apply_from(last, store, now, memo)
        between()  # after this memo read the store, before it saves
        memo.saved(revised, store.save(revised))
        return corrected

    publish({}, FIRST)
    assert len(looked) == 12 and memo.pending == {}
    publish({"s5": {"content_hash": "edited"}}, EDITED)
    assert looked == ["s5"]  # not the twelve records the first publish saved
    publish({"s2": {"content_hash": "edited too"}}, EDITED, between=other_host_dates_s7)
    assert looked == ["s2"]
    seen = publish({"s3": {}}, EDITED)
    assert sorted(looked) == ["s2", "s3", "s7"]  # both saves read back: one came between
    assert seen.by_slug["s7"].updated == datetime(2031, 1, 1, tzinfo=UTC)
