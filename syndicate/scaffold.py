"""`syndicate init` and `syndicate new`: a site and articles that pass `check` as written."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from . import validate
from .config import Config, SiteSettings, format_validation_error
from .errors import ConfigError, SyndicateError
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
    try:
        validate.language_tag(language)
    except ValueError as exc:
        raise SyndicateError(f"--language: {exc}") from None
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
    body = (
        "Write the first paragraph here: it becomes the summary when none is given.\n\n"
        "## A subheading\n\nMore text.\n"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as handle:
        handle.write(markdown_file(matter, body))
    return target


def markdown_file(matter: dict[str, object], body: str) -> str:
    """Front matter in the order given, then the body."""
    text = yaml.safe_dump(matter, allow_unicode=True, sort_keys=False, width=1000)
    published = matter.get("published")
    if published is not None:  # ISO strings are dumped quoted; unquoted reads like the docs
        text = text.replace(f"published: '{published}'", f"published: {published}")
    return f"---\n{text}---\n{body}"


# `syndicate init`: the smallest valid configuration, with what a newcomer changes first.
CONFIG_TEMPLATE = """\
# Site settings. Only `site` is required; every other key has a default
# (the README's "Configuration" lists them all).
site:
  title: {title}
  base_url: {base_url}   # where the output is served: feeds and sitemaps link there
  language: {language}   # BCP 47 (en, zh-Hans...): an article's `language` overrides it
  timezone: {timezone}   # IANA name: dates written without an offset are in it
  # description: ""      # the home page's and the site feeds' description

# Where things are (these are the defaults):
# content_dir: content
# output_dir: public
# static_dir: static

# All five channels are on; newsletter and push do nothing until configured here:
# channels:
#   html:
#     per_page: 20
"""

FIRST_ARTICLE_BODY = """\
This is the first article of the site. Its first paragraph is its summary on section
pages and in feeds, unless the front matter gives a `summary`.

## What to do next

Add articles with `syndicate new news "A headline"` (a draft until you set
`draft: false`), run `syndicate check` to find mistakes, and `syndicate publish` to
write the site, its feeds and print files to `public/`.
"""


def _option(match: re.Match[str]) -> str:
    return "init --" + match[1].replace("_", "-")


def init_site(
    folder: Path,
    *,
    title: str,
    base_url: str = "https://example.com/",
    language: str = "en",
    timezone: str = "UTC",
    now: datetime | None = None,
) -> list[Path]:
    """Write a new site into `folder`; refuses (naming them) if any of its files exist."""
    settings = {"title": title.strip(), "base_url": base_url, "language": language,
                "timezone": timezone}  # fmt: skip
    try:  # the same checks as syndicate.yaml gets, before anything is written
        SiteSettings.model_validate(settings)
    except ValidationError as exc:  # named as the options that set them
        lines = format_validation_error("", exc, "init")
        raise ConfigError("\n".join(re.sub(r"^init: (\w+)", _option, ln) for ln in lines)) from None
    when = (now or datetime.now(ZoneInfo(timezone))).replace(microsecond=0)
    files = {
        "syndicate.yaml": CONFIG_TEMPLATE.format(
            title=json.dumps(title.strip(), ensure_ascii=False),  # JSON strings are YAML
            base_url=json.dumps(base_url),
            language=json.dumps(language),
            timezone=json.dumps(timezone),
        ),
        "content/_index.md": markdown_file(
            {"title": title.strip(), "description": "The latest news."}, ""
        ),
        "content/news/_index.md": markdown_file(
            {"title": "News", "description": "Stories as they happen."}, ""
        ),
        "content/news/welcome.md": markdown_file(
            {
                "title": f"Welcome to {title.strip()}",
                "published": when.isoformat(),
                "authors": ["The Editors"],
                "tags": ["site news"],
                "draft": False,
            },
            FIRST_ARTICLE_BODY,
        ),
        ".gitignore": "/public/\n/.syndicate/cache/\n",
    }
    existing = [rel for rel in files if (folder / rel).exists()]
    if existing:
        raise SyndicateError(
            f"{folder}: already has {', '.join(existing)}; nothing was written "
            "(choose an empty folder)"
        )
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
    (folder / "static").mkdir(exist_ok=True)
    written.append(folder / "static")
    return written
