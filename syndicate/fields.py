"""An article's front matter, declared once.

`Matter` is the one declaration of what an article's front matter may hold. Everything
else follows from it: the reader validates a file's YAML against it (pydantic reads
the annotations: types, the short forms such as `authors: Li Wei`, URL and language
checks), the build cache stores it field by field, the builder hands it on as
`Article.matter`, and templates read any of its fields as `article.<field>`. Adding a
field is one line here plus its use in a template. Keys it does not declare are kept,
as they were written, in `extra`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    with_config,
)

from . import validate

# Nested records refuse keys they do not know (`image: {scr: ...}` is a typo to report);
# numbers where text is expected are read as text (`credit: 2024`).
_RECORD = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


def _as_tuple(value: Any) -> Any:
    """`authors: Li Wei` is as natural as `authors: [Li Wei]`; accept both."""
    return (value,) if isinstance(value, str) else value


def _short_for(key: str) -> Any:
    """A bare string stands for a record's main key: `source: Xinhua` is {name: Xinhua}."""
    return lambda value: {key: value} if isinstance(value, str) else value


def _as_when(value: Any) -> datetime | date:
    """YAML gives datetime/date objects; a quoted string is parsed as ISO 8601."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ValueError(
        f"{value!r} is not an ISO 8601 date-time with offset "
        "(2024-02-20T09:30:00+08:00) or a date (2024-02-20)"
    )


Texts = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
# Every URL field, so no channel ever receives a `javascript:` link.
MediaUrl = Annotated[str, AfterValidator(validate.url)]  # web or relative: pictures
WebUrl = Annotated[str, AfterValidator(validate.web_url)]  # another site's page
Language = Annotated[str, AfterValidator(validate.language_tag)]
When = Annotated[datetime | date, PlainValidator(_as_when)]
OptionalWhen = Annotated[
    datetime | date | None, PlainValidator(lambda v: None if v is None else _as_when(v))
]


@with_config(_RECORD)
@dataclass(frozen=True, slots=True)
class Image:
    src: Annotated[MediaUrl, Field(min_length=1)]
    alt: str = ""
    caption: str | None = None
    credit: str | None = None


@with_config(_RECORD)
@dataclass(frozen=True, slots=True)
class Source:
    """Attribution when a story comes from another outlet ("Source: Chongqing Morning Post")."""

    name: Annotated[str, Field(min_length=1)]
    url: WebUrl | None = None


@with_config(_RECORD)
@dataclass(frozen=True, slots=True)
class Correction:
    """A note telling readers what a story got wrong and when it was put right."""

    date: When
    text: Annotated[str, Field(min_length=1)]


@with_config(ConfigDict(coerce_numbers_to_str=True))
@dataclass(frozen=True, slots=True)
class Matter:
    """An article's front matter, validated (the content contract, docs/content.md)."""

    title: Annotated[str, Field(min_length=1)]
    published: When
    updated: OptionalWhen = None
    slug: str | None = None
    summary: str | None = None
    authors: Texts = ()
    source: Annotated[Source | None, BeforeValidator(_short_for("name"))] = None
    tags: Texts = ()
    related: Texts = ()  # slugs of other articles
    image: Annotated[Image | None, BeforeValidator(_short_for("src"))] = None
    language: Language | None = None
    draft: bool = False
    canonical: WebUrl | None = None  # a syndicated story's original (`syndicate ingest`)
    expires: OptionalWhen = None  # out of every channel from then on, as a takedown
    corrections: tuple[Correction, ...] = ()  # shown on the page and in the feeds
    extra: dict[str, Any] = field(default_factory=dict)  # keys not declared above


DECLARED = tuple(f.name for f in fields(Matter) if f.name != "extra")
RECORDS: tuple[type, ...] = (Image, Source, Correction)  # the nested records, for the build cache


def _split_extra(data: Any) -> Any:
    """Keys `Matter` does not declare go to `extra`, in the order they were written."""
    if not isinstance(data, dict):
        return data
    declared = {key: value for key, value in data.items() if key in DECLARED}
    extra = {key: value for key, value in data.items() if key not in DECLARED}
    for key in extra:
        if not isinstance(key, str):
            raise ValueError(f"front matter key {key!r} must be text")
    return {**declared, "extra": extra}


_MATTER: TypeAdapter[Matter] = TypeAdapter(Annotated[Matter, BeforeValidator(_split_extra)])


def read_matter(data: dict[str, Any]) -> Matter:
    """`data` (front matter as YAML gave it) validated; raises pydantic's ValidationError."""
    return _MATTER.validate_python(data)


__all__ = ["DECLARED", "RECORDS", "Image", "Matter", "Source", "ValidationError", "read_matter"]
