"""Change detection: which article versions each partner has not been sent yet.

Compares the published site with the last version recorded per (partner, article) by
the source file's content hash. New and changed articles get the next version; articles
recorded before but absent now are withdrawn (scheduled stories are absent except for
embargo partners, who get them ahead): `canceled` when their source file is gone
(NewsML-G2: will not be made available again), `withheld` when it still exists, i.e. it
became a draft or stopped matching the partner (not available until further notice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from syndicate.delivery.outbox import NewDelivery, PubStatus, Recorded
from syndicate.model import Article, Site

from .payloads import Meta, render, render_withdrawn
from .settings import Partner

WITHDRAWN_HASH = ""  # content_hash recorded for a withdrawn article


def webhook_id(partner: str, uid: str, version: int, content: str) -> str:
    """Stable for every retry of one delivery, unique per (partner, article, version, content).

    Deterministic rather than random so that even a rebuilt store gives the same
    version of the same content the same id, which partners use to drop duplicates.
    """
    key = f"{partner}\0{uid}\0{version}\0{content}".encode()
    return "msg_" + hashlib.blake2b(key, digest_size=16).hexdigest()


def changes(
    partner: Partner,
    site: Site,
    recorded: Mapping[str, Recorded],
    *,
    created: datetime,
    source_exists: Callable[[str], bool],
) -> Iterator[NewDelivery]:
    """The deliveries one publish adds for one partner (withdrawals last)."""
    present: set[str] = set()
    for article in site.articles + (site.scheduled if partner.embargo else ()):
        if article.draft or not partner.wants(article.section, article.tags):
            continue
        present.add(article.uid)
        last = recorded.get(article.uid)
        if last and last.pubstatus == "usable" and last.content_hash == article.content_hash:
            continue
        version = last.version + 1 if last else 1
        yield _usable(partner, article, site, version, created)
    by_uid = {a.uid: a for a in site.articles + site.scheduled}
    for uid, last in sorted(recorded.items()):
        if uid in present or last.pubstatus != "usable":
            continue
        still = by_uid.get(uid)
        meta = Meta.of(still) if still is not None else Meta.loads(last.meta)
        gone = uid in site.expired or (still is None and not source_exists(meta.source_file))
        status: PubStatus = "canceled" if gone else "withheld"
        yield _withdrawn(partner, uid, meta, site, last.version + 1, status, created)


def _usable(
    partner: Partner, article: Article, site: Site, version: int, created: datetime
) -> NewDelivery:
    content_type, body = render(partner.format, article, site.info, version, created)
    return NewDelivery(
        partner=partner.name,
        uid=article.uid,
        version=version,
        content_hash=article.content_hash,
        pubstatus="usable",
        meta=Meta.of(article).dumps(),
        webhook_id=webhook_id(partner.name, article.uid, version, article.content_hash),
        content_type=content_type,
        body=body,
    )


def _withdrawn(
    partner: Partner,
    uid: str,
    meta: Meta,
    site: Site,
    version: int,
    status: PubStatus,
    created: datetime,
) -> NewDelivery:
    content_type, body = render_withdrawn(
        partner.format, uid, meta, site.info, version, status, created
    )
    return NewDelivery(
        partner=partner.name,
        uid=uid,
        version=version,
        content_hash=WITHDRAWN_HASH,
        pubstatus=status,
        meta=meta.dumps(),
        webhook_id=webhook_id(partner.name, uid, version, status),
        content_type=content_type,
        body=body,
    )
