"""Fingerprints key every cache: equal inputs must give equal digests, any change a new one."""

from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime

from conftest import SiteFactory

from syndicate.digests import fingerprint


def test_equal_values_give_equal_digests_whatever_their_identity() -> None:
    interned = sys.intern("Port volumes rise")
    built = "".join(["Port volumes ", "rise"])
    assert interned is not built
    assert fingerprint(interned, [interned, interned]) == fingerprint(built, [built, built])
    assert fingerprint("a", ("b",)) != fingerprint("a", ["b"])
    assert fingerprint("ab", "c") != fingerprint("a", "bc")


def test_values_marshal_cannot_hold_still_get_a_stable_digest() -> None:
    when = datetime(2024, 2, 20, 9, 30, tzinfo=UTC)
    assert fingerprint(when) == fingerprint(datetime(2024, 2, 20, 9, 30, tzinfo=UTC))
    assert fingerprint(when) != fingerprint(when.replace(minute=31))


def test_an_article_fingerprint_follows_its_fields(site: SiteFactory) -> None:
    site.article("finance", "port-volumes", "Cranes at dawn.\n", tags=["ports"])
    article = site.build().site.by_slug["port-volumes"]
    first = article.fingerprint

    retitled = dataclasses.replace(article, title="Port volumes fall")
    retagged = dataclasses.replace(article, tags=("ports", "trade"))
    copy = dataclasses.replace(article)

    assert copy.fingerprint == first
    assert len({first, retitled.fingerprint, retagged.fingerprint}) == 3


def test_moments_tell_apart_what_isoformat_tells_apart() -> None:
    """`moment` stands in for isoformat() in article fingerprints: same instants in the
    same zone give the same value, a different time, zone or fold a different one."""
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    from syndicate.digests import moment

    taipei = timezone(timedelta(hours=8))
    when = datetime(2024, 2, 20, 9, 30, tzinfo=taipei)
    variants = [
        when,
        when.replace(microsecond=1),
        when.replace(tzinfo=UTC),
        when.replace(tzinfo=ZoneInfo("Asia/Taipei")),
        when.replace(tzinfo=None),
        datetime(2024, 11, 3, 1, 30, tzinfo=ZoneInfo("America/New_York"), fold=1),
        datetime(2024, 11, 3, 1, 30, tzinfo=ZoneInfo("America/New_York"), fold=0),
    ]
    assert len({fingerprint(moment(v)) for v in variants}) == len(variants)
    again = datetime(2024, 2, 20, 9, 30, tzinfo=timezone(timedelta(hours=8), "CST"))
    assert fingerprint(moment(again)) == fingerprint(moment(when))  # as isoformat(): offset only
