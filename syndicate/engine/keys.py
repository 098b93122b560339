"""Keys of what a page reads (`Reads`), worked out by the engine, never by a channel.

A page's key covers its declared parts and, per listed article, a digest of the fields
it declares. A long list is keyed in chunks of `CHUNK` articles, each chunk digested:
the same key whoever works it out, and one that an edit of a page listing 100,000
articles brings up to date by digesting again only the chunks it touched
(`plans.LongPage`), not the whole list.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..channel import EVERY_FIELD, Reads, checked_fields
from ..digests import fields_digests, fingerprint
from ..model import Article, fingerprints

CHUNK = 1024  # articles per digested chunk of a long list

Chunks = tuple[str, list[str]]  # ("chunks", a digest per chunk)


def reads_key(reads: Reads, chunks: Chunks | None = None) -> tuple[object, ...]:
    """Plain values standing for everything `reads` declares: the parts as given, and
    per article a digest of its declared fields (its fingerprint for `EVERY_FIELD`),
    memoized on the article, which several pages list. `chunks`: the long list's
    chunk digests, when the caller kept them up to date."""
    fields = checked_fields(reads.fields)
    return fields, reads.parts, chunks or listed_key(reads.articles, fields)


def listed_key(articles: Sequence[Article], fields: tuple[str, ...]) -> list[str] | Chunks:
    """A digest per listed article; per chunk of them for a long list."""
    if len(articles) <= CHUNK:
        return listed_digests(articles, fields)
    return chunk_digests(articles, fields)


def chunk_digests(articles: Sequence[Article], fields: tuple[str, ...]) -> Chunks:
    return "chunks", [chunk_digest(articles, at, fields) for at in range(0, len(articles), CHUNK)]


def chunk_digest(articles: Sequence[Article], start: int, fields: tuple[str, ...]) -> str:
    """The digest of the chunk of `articles` from `start` (a multiple of `CHUNK`)."""
    return fingerprint(listed_digests(articles[start : start + CHUNK], fields))


def listed_digests(articles: Sequence[Article], fields: tuple[str, ...]) -> list[str]:
    if fields == EVERY_FIELD:
        return fingerprints(articles)
    return fields_digests(articles, fields)
