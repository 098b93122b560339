"""Records as plain tuples: what the cache stores and worker processes send back.

Packing front matter into plain values is ~5x cheaper to encode and decode than the
records themselves; extras (any YAML) keep their exact types.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, get_args, get_origin, get_type_hints

from ..fields import DECLARED, RECORDS, Matter
from ..markdown import RenderedBody
from ..model import Body, Heading
from ..reader import SectionMatter, Source, SourceArticle, SourceSection
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


def _record_fields() -> dict[str, tuple[type, bool]]:
    """Declared fields that hold a nested record (source, image) or a tuple of them
    (corrections): (record type, whether a tuple)."""
    hints = get_type_hints(Matter)
    found = {}
    for name in DECLARED:
        for option in (hints[name], *get_args(hints[name])):
            if option in RECORDS:
                found[name] = (option, get_origin(hints[name]) is tuple)
    return found


def _flat(record: Any) -> tuple[Any, ...]:
    return tuple(getattr(record, f.name) for f in fields(record))


_RECORD_FIELDS = _record_fields()
# (place among the declared fields, record type, whether a tuple)
_RECORD_AT = tuple((DECLARED.index(name), *found) for name, found in _RECORD_FIELDS.items())
if fields(Matter)[-1].name != "extra":  # `unpack_matter` passes the declared ones by place
    raise TypeError("Matter.extra must stay its last field")


def pack_matter(m: Matter) -> Packed:
    """The declared fields in order (records as tuples), then the extras, exactly typed."""
    values = []
    for name in DECLARED:
        value = getattr(m, name)
        if name in _RECORD_FIELDS and value is not None:
            many = _RECORD_FIELDS[name][1]
            value = tuple(_flat(v) for v in value) if many else _flat(value)
        values.append(value)
    values.append(cachefile.pack_exact(m.extra) if m.extra else None)
    return tuple(values)


def unpack_matter(packed: Packed) -> Matter:
    """`pack_matter` undone. Positional: `DECLARED` is `Matter`'s field order, and this
    runs for every cached article on each load, where keywords cost a dict per article."""
    *values, extra = packed
    for at, record, many in _RECORD_AT:
        value = values[at]
        if value:
            values[at] = tuple(record(*v) for v in value) if many else record(*value)
    values.append(cachefile.unpack_exact(extra) if extra is not None else {})
    return Matter(*values)


def pack_body(rendered: RenderedBody) -> Packed:
    body = rendered.body
    headings = tuple((h.level, h.text, h.anchor) for h in body.headings)
    return (body.html, headings, rendered.first_paragraph, rendered.word_count, body.size,
            body.markup, body.links, body.targets)  # fmt: skip


def unpack_body(packed: Packed) -> RenderedBody:
    html, headings, first, words, size, markup, links, targets = packed
    heads = tuple(Heading(*h) for h in headings)
    body = Body(html, heads, size=size, markup=markup, links=links, targets=tuple(targets))
    return RenderedBody(body, first, words)
