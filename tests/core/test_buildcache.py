"""The build cache must give back exactly what the reader produced, or nothing at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.buildcache import BuildCache
from syndicate.reader import SourceArticle, read_one

FULL_MATTER = """\
---
title: Port volumes rise
published: 2024-02-20T09:30:00+08:00
updated: 2024-02-21 10:00:00
slug: port-volumes
summary: Container throughput grew.
authors: [Li Wei, Chen Jie]
source: {name: Chongqing Morning Post, url: "https://example.com/p"}
tags: [ports, trade]
related: [older-story]
image: {src: /img/port.jpg, alt: Cranes, caption: At dawn, credit: Staff}
language: zh-Hant
draft: true
desk: metro
embargo: 2024-02-19
ranking: {score: 3, when: 2024-02-18T08:00:00Z}
---
Body with **bold** text.
"""

SMALL_MATTER = """\
---
title: A bare date
published: 2024-02-20
---
Text.
"""


@pytest.mark.parametrize("text", [FULL_MATTER, SMALL_MATTER], ids=["every-key", "smallest"])
def test_cached_front_matter_comes_back_equal(tmp_path: Path, text: str) -> None:
    file = tmp_path / "content" / "finance" / "story.md"
    file.parent.mkdir(parents=True)
    file.write_text(text, encoding="utf-8")
    source, problems = read_one(file, Path("finance/story.md"), "finance", 1_000_000)
    assert not problems and isinstance(source, SourceArticle)
    cache = BuildCache()
    cache.render([source])
    cache.put_source("finance/story.md", 1, 2, source)
    cache.save(tmp_path / "cache")

    loaded = BuildCache.load(tmp_path / "cache").get_source("finance/story.md", 1, 2)

    assert isinstance(loaded, SourceArticle)
    assert loaded.matter == source.matter
    assert type(loaded.matter.published) is type(source.matter.published)
    assert loaded.matter.published.isoformat() == source.matter.published.isoformat()
    assert (loaded.path, loaded.section, loaded.digest) == (source.path, "finance", source.digest)
    assert (loaded.matter_text, loaded.body_line) == (source.matter_text, source.body_line)
