"""Stable digests of plain values and of articles: what every cache in syndicate keys on.

No project imports at run time, so the model itself can use it.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone, tzinfo
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .model import Article

_ZONE_NAMES: dict[tzinfo, str] = {}


def fingerprint(*parts: object) -> str:
    """A stable digest of plain values: str, bytes, numbers, None, tuples, lists, dicts.

    marshal's format 2 writes no back-references, so equal values give equal bytes
    whatever their identity, and it is about twice as fast as repr(). Other objects
    (datetimes, paths) fall back to repr(): pass their ISO text where speed matters.
    """
    try:
        data = marshal.dumps(cast(Any, parts), 2)
    except ValueError:
        data = b"repr:" + repr(parts).encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def moment(when: datetime) -> tuple[object, ...]:
    """A datetime as plain values for `fingerprint`, ~5x cheaper than isoformat(), which
    asks an aware datetime's time zone for its offset on every call."""
    zone = when.tzinfo
    name = None
    if zone is not None:
        name = _ZONE_NAMES.get(zone)
        if name is None:  # a fixed offset by its offset (its name is no part of the time)
            fixed = isinstance(zone, timezone)
            name = _ZONE_NAMES.setdefault(zone, str(zone.utcoffset(None)) if fixed else repr(zone))
    return (when.year, when.month, when.day, when.hour, when.minute, when.second,
            when.microsecond, when.fold, name)  # fmt: skip


def article_fingerprint(a: Article) -> str:
    """Every field of the article; the body is covered by its source file's hash.

    Flattened by hand into plain values: repr() of nested dataclasses costs ~90 µs an
    article. Channels key per-article pieces of list pages and feeds with it too.
    """
    related = [(r.slug, r.title, r.url, moment(r.published), r.summary) for r in a.related]
    crumbs = [(c.title, c.url) for c in a.breadcrumb]
    source = (a.source.name, a.source.url) if a.source else None
    image = (a.image.src, a.image.alt, a.image.caption, a.image.credit) if a.image else None
    extra = sorted(a.extra.items(), key=lambda kv: kv[0]) if a.extra else None
    return fingerprint(
        a.slug, a.title, a.section, crumbs, moment(a.published),
        moment(a.updated) if a.updated else None, a.summary, a.authors, source, a.tags,
        related, image, a.language, a.url, a.path, a.content_hash, a.uid, a.draft, extra,
    )  # fmt: skip


def fields_digest(article: Article, fields: tuple[str, ...]) -> str:
    """A digest of the named fields of `article`: what a page that shows them is keyed on.

    Memoized on the article per fields tuple: an article is listed on several pages (its
    sections, tags, authors, neighbours' pages, the home page), and the key of each
    names it. ~2 us an article for a teaser's eight fields.
    """
    found = article._digests
    if found is None:
        found = {}
        object.__setattr__(article, "_digests", found)
    digest = found.get(fields)
    if digest is None:
        read = _READERS.get(fields) or _READERS.setdefault(fields, _reader(fields))
        data = marshal.dumps(cast(Any, read(article)), 2)
        digest = found[fields] = hashlib.blake2b(data, digest_size=16).hexdigest()
    return digest


def fields_digests(articles: Iterable[Article], fields: tuple[str, ...]) -> list[str]:
    """`fields_digest` of each article: the memo looked up inline, as most are known."""
    found = []
    for article in articles:
        memo = article._digests
        digest = memo.get(fields) if memo is not None else None
        found.append(digest if digest is not None else fields_digest(article, fields))
    return found


def plain(value: object) -> object:
    """A value as what `fingerprint` marshals fast: datetimes as `moment`, frozen
    dataclasses (images, sources, crumbs) as tuples of their fields, mappings sorted."""
    if value is None or isinstance(value, str | int | float | bytes):
        return value
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, tuple | list):
        return tuple(plain(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), plain(v)) for k, v in value.items()))
    names = getattr(type(value), "__dataclass_fields__", None)
    if names is not None:
        return (type(value).__name__, *(plain(getattr(value, name)) for name in names))
    return repr(value)


def _body(article: Article) -> object:
    return article.content_hash  # the body is a function of the source file


def _image(article: Article) -> object:
    image = article.image
    return None if image is None else (image.src, image.alt, image.caption, image.credit)


def _source(article: Article) -> object:
    source = article.source
    return None if source is None else (source.name, source.url)


def _corrections(article: Article) -> object:
    return tuple([(plain(c.date), c.text) for c in article.corrections])


# Fields better keyed by something else (the body by its source's hash, not its HTML,
# which may not even be loaded), or made plain faster than `plain` does.
_SPECIAL: dict[str, Callable[[Article], object]] = {
    "body": _body,
    "body_html": _body,
    "headings": _body,
    "matter": _body,
    "published": lambda a: moment(a.published),
    "modified": lambda a: moment(a.modified),
    "image": _image,
    "source": _source,
    "corrections": _corrections,
}
# Plain already (str, int, bool, tuples of str): read together by one attrgetter.
_PLAIN_FIELDS = frozenset(
    ("slug", "title", "section", "summary", "language", "url", "path", "word_count",
     "source_file", "content_hash", "uid", "draft", "authors", "tags")
)  # fmt: skip
_READERS: dict[tuple[str, ...], Callable[[Article], tuple[object, ...]]] = {}


def _reader(fields: tuple[str, ...]) -> Callable[[Article], tuple[object, ...]]:
    """What reads `fields` of an article as plain values, made once per fields tuple."""
    direct = tuple(name for name in fields if name in _PLAIN_FIELDS)
    others = tuple(
        _SPECIAL.get(name) or partial(_plain_field, name)
        for name in fields
        if name not in _PLAIN_FIELDS
    )
    together = attrgetter(*direct, "slug")  # two names or more: always a tuple
    if not others:
        return together
    return lambda article: (together(article), *[read(article) for read in others])


def _plain_field(name: str, article: Article) -> object:
    return plain(getattr(article, name))
