"""What the content folder already holds, for placing new stories: slugs in use
site-wide and the permanent ids of articles (an ingest whose state was lost must not
import a story twice)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..reader import ARTICLE_SUFFIXES
from ..slug import is_valid_slug, slugify

_HEAD_BYTES = 8192
_SLUG = re.compile(r"^slug:[ \t]*['\"]?([^'\"\s]+)", re.M)
_ID = re.compile(r"^id:[ \t]*['\"]?([^'\"\s]+)", re.M)


@dataclass
class ContentIndex:
    root: Path
    slugs: set[str] = field(default_factory=set)
    ids: dict[str, str] = field(default_factory=dict)  # permanent id -> path in content/

    @classmethod
    def scan(cls, root: Path) -> ContentIndex:
        index = cls(root)
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(("_", "."))]
            for name in files:
                if name.startswith(("_", ".")) or not name.endswith(ARTICLE_SUFFIXES):
                    continue
                path = Path(folder, name)
                index._add(path, name.rsplit(".", 1)[0])
        return index

    def _add(self, path: Path, stem: str) -> None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
        except OSError:
            return
        slug = _SLUG.search(head)
        self.slugs.add(slug.group(1) if slug else stem if is_valid_slug(stem) else slugify(stem))
        found = _ID.search(head)
        if found:
            self.ids[found.group(1)] = path.relative_to(self.root).as_posix()

    def place(self, section: str, title: str) -> str:
        """A free `section/slug.md` for a new story, its slug unique site-wide."""
        base = slugify(title) or "story"
        slug, number = base, 2
        while slug in self.slugs or any(
            (self.root / section / f"{slug}{suffix}").exists() for suffix in ARTICLE_SUFFIXES
        ):
            slug, number = f"{base}-{number}", number + 1
        self.slugs.add(slug)
        return f"{section}/{slug}.md"
