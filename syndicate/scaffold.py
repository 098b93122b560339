"""`syndicate new`: scaffold an article with front matter that passes `check`."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import yaml

from .config import _LANGUAGE, Config
from .errors import SyndicateError
from .slug import is_valid_slug, slugify

_SECTION = re.compile(r"^[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9_-]*)*$")


def new_article(
    config: Config,
    section: str,
    title: str,
    *,
    slug: str | None = None,
    authors: list[str] | None = None,
    tags: list[str] | None = None,
    draft: bool = True,
    language: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Write content/SECTION/SLUG.md and return its path; never overwrites a file.

    `language` (BCP 47, default the site's) is always written, so a Chinese headline on an
    English site is one visible key away from being marked as such.
    """
    section = section.strip("/")
    if not _SECTION.match(section):
        raise SyndicateError(
            f"section {section!r}: use folder names like finance/markets "
            "(lowercase letters, digits, '-', '_')"
        )
    if not title.strip():
        raise SyndicateError("title: must not be empty")
    slug = slug or slugify(title)
    language = language or config.site.language
    if not _LANGUAGE.match(language):
        raise SyndicateError(f"language {language!r}: not a BCP 47 tag such as en or zh-Hans")
    if not is_valid_slug(slug):
        raise SyndicateError(f"slug {slug!r} is invalid: use [a-z0-9-]+ (pass --slug)")
    target = config.content_dir / section / f"{slug}.md"
    if target.exists():
        raise SyndicateError(f"{target}: already exists; choose another --slug")
    when = now or datetime.now(config.site.timezone).astimezone(config.site.timezone)
    matter: dict[str, object] = {
        "title": title.strip(),
        "published": when.replace(microsecond=0).isoformat(),
        "slug": slug,
        "summary": "",
        "authors": authors or [],
        "tags": tags or [],
        "language": language,
        "draft": draft,
    }
    text = yaml.safe_dump(matter, allow_unicode=True, sort_keys=False, width=1000)
    # ISO strings are dumped quoted; unquote the date so it reads like the examples.
    text = text.replace(f"published: '{matter['published']}'", f"published: {matter['published']}")
    body = (
        "Write the first paragraph here: it becomes the summary when none is given.\n\n"
        "## A subheading\n\nMore text.\n"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:
        handle.write(f"---\n{text}---\n{body}")
    return target
