"""A newsroom of plain stories published through the `text_channel` fixture: what the
output-safety and manifest tests publish, again and again."""

from __future__ import annotations

from conftest import SiteFactory


def publish(site: SiteFactory, *args: str) -> str:
    """`syndicate publish`, which must succeed; what it printed."""
    result = site.cli("publish", *args)
    assert result.exit_code == 0, result.output
    return result.output


def stories(site: SiteFactory, count: int = 12) -> None:
    for n in range(count):
        site.article("news", f"story-{n}")
