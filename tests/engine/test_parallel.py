"""Reading and rendering across worker processes must give what one process gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SiteFactory
from published import output_tree

from syndicate.engine import render, workers
from syndicate.engine.bodystore import BodyStore
from syndicate.engine.cache import cache_version
from syndicate.engine.cachefile import secret_key


def tree(folder: Path) -> dict[str, bytes]:
    return output_tree(folder)


def test_a_parallel_cold_build_writes_what_a_serial_one_does(
    site: SiteFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.section("news", "News")
    site.section("news/city", "City")
    for n in range(14):
        section = ("news", "news/city", "sport")[n % 3]
        site.article(
            section,
            f"story-{n}",
            f"## Part {n}\n\nText & <em>more</em> {n}.\n",
            published=f"2024-02-{n + 1:02d}T09:00:00+08:00",
            tags=["city"] if n % 2 else ["sport", "city"],
            related=[f"story-{n - 1}"] if n else [],
        )
    channels = ("--channels", "html,feeds,print")
    assert site.cli("publish", *channels, "--out", str(site.root / "serial")).exit_code == 0

    for module in (workers, render):  # every piece of work goes to two forked workers
        monkeypatch.setattr(module, "PARALLEL_THRESHOLD", 2)
        monkeypatch.setattr(module, "worker_count", lambda: 2)
    parallel = site.root / "parallel"
    result = site.cli("publish", *channels, "--force", "--out", str(parallel))

    assert result.exit_code == 0, result.output
    serial = tree(site.root / "serial")
    assert len(serial) > 50
    assert tree(parallel) == serial
    hashes = {a.content_hash for a in site.build().site.articles}
    assert (
        set(
            BodyStore(
                site.config().cache_dir, secret_key(site.config().state_dir), cache_version()
            ).load_all()
        )
        == hashes
    )  # every body kept

    # An edit published on top: the unchanged bodies now come from the body store (the
    # feeds' archive pages list them all).
    site.article("news", "story-0", "Edited text.\n", published="2024-02-01T09:00:00+08:00",
                 tags=["sport", "city"])  # fmt: skip
    assert site.cli("publish", *channels, "--out", str(parallel)).exit_code == 0
    monkeypatch.undo()
    fresh = site.root / "fresh"
    assert site.cli("publish", *channels, "--force", "--out", str(fresh)).exit_code == 0
    assert tree(parallel) == tree(fresh)
