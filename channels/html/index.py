"""Site-wide lookups computed once per publish, so no page scans every article.

`Site.in_section` and `Site.neighbours` walk the article list on each call; with 10,000
articles that is quadratic. One pass here gives every section's list and every
article's previous/next link.
"""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.model import Article, Site


@dataclass(frozen=True)
class SiteIndex:
    by_section: dict[str, tuple[Article, ...]]  # recursive: a section includes subsections
    # slug -> (older, newer) in the article's own section (not its subsections)
    neighbours: dict[str, tuple[Article | None, Article | None]]

    @classmethod
    def build(cls, site: Site) -> SiteIndex:
        recursive: dict[str, list[Article]] = {path: [] for path in site.sections}
        own: dict[str, list[Article]] = {}
        for article in site.articles:  # newest first, so every list is too
            own.setdefault(article.section, []).append(article)
            path = article.section
            while True:
                recursive.setdefault(path, []).append(article)
                if not path:
                    break
                path = path.rpartition("/")[0]
        neighbours: dict[str, tuple[Article | None, Article | None]] = {}
        for siblings in own.values():
            last = len(siblings) - 1
            for i, article in enumerate(siblings):
                older = siblings[i + 1] if i < last else None
                newer = siblings[i - 1] if i > 0 else None
                neighbours[article.slug] = (older, newer)
        return cls({p: tuple(a) for p, a in recursive.items()}, neighbours)

    def section(self, path: str) -> tuple[Article, ...]:
        return self.by_section.get(path, ())
