"""`sources:` settings and the `canonical:` front-matter key, validated with errors that
name the key."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SiteFactory

from syndicate.errors import ConfigError


def settings(**changes: Any) -> dict[str, Any]:
    base = {"name": "CQ", "url": "https://partner.example.com/atom.xml", "section": "finance"}
    return {**base, **changes}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (settings(url="ftp://x/feed"), "sources.0.url: must be an absolute http:// or https://"),
        (settings(section="../etc"), "sources.0.section: '../etc' is not a section path"),
        (settings(section="a/_drafts"), "is not a section path"),
        (settings(publish="yes"), "sources.0.publish: Input should be 'review' or 'auto'"),
        (settings(interval="soon"), "'soon' is not a duration such as 900, 15m, 1h or 1d"),
        (settings(colour="red"), "sources.0.colour: unknown setting"),
    ],
)
def test_bad_source_settings(site: SiteFactory, entry: dict[str, Any], message: str) -> None:
    site.write_config(sources=[entry])
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(".", r"\.")):
        site.config()


def test_names_are_unique_and_durations_read(site: SiteFactory) -> None:
    site.write_config(sources=[settings(interval="15m"), settings(section="b", interval=60)])
    with pytest.raises(ConfigError, match="source name 'CQ' is used twice"):
        site.config()
    site.write_config(sources=[settings(interval="15m"), settings(name="B", interval="1h")])
    assert [s.interval for s in site.config().file.sources] == [900.0, 3600.0]


def test_canonical_must_be_http(site: SiteFactory) -> None:
    site.article("finance", "good", canonical="https://partner.example.com/a/")
    site.article("finance", "bad", title="Bad", canonical="javascript:alert(1)")
    result = site.cli("check")
    assert result.exit_code == 1
    assert "finance/bad.md:3: canonical: 'javascript:alert(1)': javascript: URLs are not " in (
        result.output
    )
    assert "good.md" not in result.output
