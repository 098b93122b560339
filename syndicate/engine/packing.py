"""Records as plain tuples: what the cache stores and worker processes send back.

Packing front matter into plain values is ~5x cheaper to encode and decode than the
records themselves; extras (any YAML) keep their exact types.
"""

from __future__ import annotations

from typing import Any

from .. import model
from ..markdown import RenderedBody
from ..model import Body, Heading
from ..reader import Matter, SectionMatter, Source, SourceArticle, SourceSection
from . import cachefile

Packed = tuple[Any, ...]


def pack_source(source: Source) -> Packed:
    if isinstance(source, SourceSection):
        return ("section", source.path, cachefile.pack_exact(source.matter.model_dump()))
    return ("article", source.path, source.section, pack_matter(source.matter),
            source.matter_text, source.body_line, source.digest)  # fmt: skip


def unpack_source(packed: Packed) -> Source:
    if packed[0] == "section":
        return SourceSection(
            packed[1], SectionMatter.model_validate(cachefile.unpack_exact(packed[2]))
        )
    _, path, section, matter, matter_text, body_line, digest = packed
    return SourceArticle(path, section, unpack_matter(matter), matter_text, "", body_line, digest)


def pack_matter(m: Matter) -> Packed:
    source = (m.source.name, m.source.url) if m.source else None
    image = m.image
    picture = (image.src, image.alt, image.caption, image.credit) if image else None
    extra = cachefile.pack_exact(m.extra) if m.extra else None
    return (m.title, m.published, m.updated, m.slug, m.summary, m.authors, source, m.tags,
            m.related, picture, m.language, m.draft, extra)  # fmt: skip


def unpack_matter(packed: Packed) -> Matter:
    (title, published, updated, slug, summary, authors, source, tags, related, picture,
     language, draft, extra) = packed  # fmt: skip
    return Matter(
        title, published, updated, slug, summary, authors,
        model.Source(*source) if source else None, tags, related,
        model.Image(*picture) if picture else None, language, draft,
        cachefile.unpack_exact(extra) if extra is not None else {},
    )  # fmt: skip


def pack_body(rendered: RenderedBody) -> Packed:
    body = rendered.body
    headings = tuple((h.level, h.text, h.anchor) for h in body.headings)
    return (body.html, headings, rendered.first_paragraph, rendered.word_count, body.size,
            body.markup, body.links)  # fmt: skip


def unpack_body(packed: Packed) -> RenderedBody:
    html, headings, first, words, size, markup, links = packed
    body = Body(html, tuple(Heading(*h) for h in headings), size=size, markup=markup, links=links)
    return RenderedBody(body, first, words)
