"""Links and pictures checked before publishing: a 404 is a bug a reader sees.

Every link in a body to a page of the site must lead to a page the site has (with the
page a story moved to suggested when its slug lives elsewhere), and every picture (lead
or body) that is the site's own must be in `static/` or beside the article. Problems
are warnings (`--strict` makes them errors). A lead image that is missing is taken off
the article, so no channel points og:image, JSON-LD, an enclosure, media:content or
JSON Feed `image` at a 404.
"""

from __future__ import annotations

import html
import os
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from . import urls
from .errors import Problem
from .model import Article, Site

if TYPE_CHECKING:  # the stages never import the engine (see `engine`)
    from .engine.walks import Walks


def check_links(
    site: Site,
    content_dir: Path,
    static_dir: Path,
    reuse: LinkReuse | None = None,
    walks: Walks | None = None,
) -> tuple[Site, list[Problem]]:
    """The site without missing lead images, and one warning per broken link or picture.

    `reuse` holds the last check's results: an article that is the same object as then,
    in a site with the same pages and files, is not checked again; and when `site` is
    the last site checked with a few articles swapped (`Site.replacing`), only those are
    looked at, so the check costs what the edit changed. `walks`: a resident publisher's
    walks, brought up to date instead of walking the two folders again.
    """
    reuse = reuse if reuse is not None else LinkReuse()
    pages, moved = reuse.pages_of(site)
    static = reuse.files_below(static_dir, "links:static", walks)
    content = reuse.files_below(content_dir, "links:content", walks)
    world = (pages, moved, static, content, site.info.base_url)
    if reuse.last is not None and world == reuse.world:  # the same objects: cheap
        changed = site.changed_since(reuse.last[0])
        if changed is not None and site.layout() is reuse.layout:
            return reuse.check_again(site, changed, pages, moved, static, content)
    known = reuse.start(world)
    problems: list[Problem] = []
    articles = []
    troubled: dict[str, list[Problem]] = {}
    for article in site.articles:
        last = known.get(article.source_file)
        if last is not None and last[0] is article:
            found = last[1]
            reuse.results[article.source_file] = last
            checked = last[2]
        else:
            found = []
            checked = _check_article(site, article, pages, moved, static, content, found)
            reuse.results[article.source_file] = (article, found, checked)
        if found:
            troubled[article.slug] = found
            problems.extend(found)
        articles.append(checked)
    # Only lead images go: every article keeps its place in every list.
    swapped = {a.slug: a for a, b in zip(articles, site.articles, strict=True) if a is not b}
    checked_site = site.replacing(swapped)
    reuse.done(site, checked_site, troubled, problems)
    return checked_site, list(problems)


Result = tuple[Article, list[Problem], Article]  # (article, its warnings, it checked)


class LinkReuse:
    """The last link check's results per article file (see `check_links`), and what it
    was worked out from: the site's pages and the two folders' files."""

    def __init__(self) -> None:
        self.world: tuple[object, ...] | None = None
        self.results: dict[str, Result] = {}
        self.layout: object | None = None  # `Site.layout` of the site `pages` are of
        self.pages: tuple[set[str], dict[str, str]] = (set(), {})
        self.walked: dict[str, tuple[list[Entry], set[str]]] = {}  # by walk name
        self.last: tuple[object, Site] | None = None  # (site checked's version, result)
        self.troubled: dict[str, list[Problem]] = {}  # slug -> its warnings (not none)
        self.ordered: list[str] = []  # the slugs of `troubled`, in the order of the site
        self.problems: list[Problem] = []  # every warning, in the order of the articles

    def start(self, world: tuple[object, ...]) -> dict[str, Result]:
        """The results still good for a site of `world` (its pages, files and base URL)."""
        same = world == self.world
        known = self.results if same else {}
        self.world, self.results = world, {}
        return known

    def done(
        self, site: Site, checked: Site, troubled: dict[str, list[Problem]], problems: list[Problem]
    ) -> None:
        """Keep a whole check's outcome, for the next one to start from."""
        self.last = (site.version(), checked)
        self.troubled, self.ordered, self.problems = troubled, list(troubled), problems

    def pages_of(self, site: Site) -> tuple[set[str], dict[str, str]]:
        """(`_pages`, slug -> path) of `site`: the last ones while its layout is the same."""
        if site.layout() is not self.layout:
            self.layout = site.layout()
            self.pages = (_pages(site), {a.slug: a.path for a in site.articles})
        return self.pages

    def files_below(self, folder: Path, name: str, walks: Walks | None) -> set[str]:
        """`_files_below(folder)`; with `walks`, the last walk brought up to date (and the
        very same set while no file came or went, which makes comparing worlds cheap)."""
        if walks is None:
            return _files_below(folder)
        entries = walks.walk(name, str(folder), lambda: _walk_files(str(folder)), _restat)
        last = self.walked.get(name)
        if last is not None and last[0] == entries:
            return last[1]
        found = {rel for _, rel, is_file in entries if is_file}
        self.walked[name] = (entries, found)
        return found

    def check_again(
        self,
        site: Site,
        changed: frozenset[str],
        pages: set[str],
        moved: dict[str, str],
        static: set[str],
        content: set[str],
    ) -> tuple[Site, list[Problem]]:
        """The check of `site`, the last site checked with the articles of `changed`
        swapped, in the same world: those articles are checked, the rest kept."""
        assert self.last is not None
        swapped: dict[str, Article] = {}
        altered = False
        for slug in changed:
            article = site.by_slug[slug]
            last = self.results.get(article.source_file)
            if last is None or last[0] is not article:
                found: list[Problem] = []
                checked = _check_article(site, article, pages, moved, static, content, found)
                last = self.results[article.source_file] = (article, found, checked)
                altered = self._flag(site, slug, found) or altered
            swapped[slug] = last[2]
        if altered:  # joined at C speed: thousands of old warnings cost next to nothing
            self.problems = list(chain.from_iterable(map(self.troubled.__getitem__, self.ordered)))
        checked_site = self.last[1].replacing(swapped)
        self.last = (site.version(), checked_site)
        return checked_site, list(self.problems)

    def _flag(self, site: Site, slug: str, found: list[Problem]) -> bool:
        """Keep an article's warnings in `troubled` and its slug in `ordered` (in the
        order of the site's articles); whether any warning came or went."""
        if not found and not self.troubled.pop(slug, None):
            return False
        if found and self.troubled.setdefault(slug, found) is not found:
            self.troubled[slug] = found
            return True
        at = bisect_left(self.ordered, site.position(slug), key=site.position)
        if found:
            self.ordered.insert(at, slug)
        else:
            del self.ordered[at]
        return True


Entry = tuple[str, str, bool]  # (full path, path below the folder, a file?)


def _walk_files(folder: str) -> Iterator[Entry]:
    """What `_files_below` walks, one entry per thing that is not a folder (a file, or a
    symlink to a file, counts), so that a walk brought up to date gives the same set."""
    pending = [("", folder)]
    while pending:
        prefix, path = pending.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((f"{prefix}{entry.name}/", entry.path))
            else:
                yield entry.path, prefix + entry.name, entry.is_file()


def _restat(entry: tuple[object, ...]) -> Entry | None:
    """A walked entry as the thing is now; None (walk again) if gone or now a folder."""
    full, rel = str(entry[0]), str(entry[1])
    if not os.path.lexists(full) or (os.path.isdir(full) and not os.path.islink(full)):
        return None
    return full, rel, os.path.isfile(full)


def _check_article(
    site: Site,
    article: Article,
    pages: set[str],
    moved: dict[str, str],
    static: set[str],
    content: set[str],
    problems: list[Problem],
) -> Article:
    """One article's warnings into `problems`; the article, without a missing lead image."""
    files = Files(article, static, content)
    for tag, raw in article.body.targets:
        path = _site_path(site, article, html.unescape(raw))
        if path is None:
            continue
        if tag == "img" and not files.exists(path):
            problems.append(_warning(article, f"picture /{path} is not in static/ "
                                     "nor beside the article"))  # fmt: skip
        elif tag == "a" and not (_is_page(path, pages) or files.exists(path)):
            problems.append(_warning(article, _no_page(path, moved)))
    image = article.image
    if image is not None and not image.src.startswith(("http://", "https://")):
        path = _site_path(site, article, image.src)
        if path is None or not files.exists(path):
            message = f"image: {image.src} is not in static/ nor beside the article; left out"
            problems.append(_warning(article, message))
            article = replace(article, image=None)
    return article


class Files:
    """Whether a site path is a file the site publishes as is: static or beside `article`.

    Looked up in sets of the two folders' files, walked once per check: a stat per link
    cost a tenth of a publish after one edit on 10,000 articles.
    """

    def __init__(self, article: Article, static: set[str], content: set[str]) -> None:
        self.article = article
        self.static = static
        self.content = content
        folder = PurePosixPath(article.source_file).parent.as_posix()
        self.beside = "" if folder == "." else f"{folder}/"

    def exists(self, path: str) -> bool:
        if path and path in self.static:
            return True
        rest = path.removeprefix(self.article.path)
        return rest != path and bool(rest) and f"{self.beside}{rest}" in self.content


def _files_below(folder: Path) -> set[str]:
    """Every file below `folder` (symlinks to files too), as POSIX paths relative to it.
    Directory entries say which are files without a stat of their own (but symlinks)."""
    found: set[str] = set()
    pending = [("", str(folder))]
    while pending:
        prefix, path = pending.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((f"{prefix}{entry.name}/", entry.path))
            elif entry.is_file():
                found.add(prefix + entry.name)
    return found


def _warning(article: Article, message: str) -> Problem:
    return Problem(article.source_file, message, None, "warning")


def _no_page(path: str, moved: dict[str, str]) -> str:
    slug = path.rstrip("/").rpartition("/")[2].removesuffix(urls.INDEX)
    where = moved.get(slug) or moved.get(path.rstrip("/").rpartition("/")[2])
    hint = f" (the story {slug!r} is at /{where})" if where else ""
    return f"link /{path} leads to no page of the site{hint}"


def _site_path(site: Site, article: Article, link: str) -> str | None:
    """The site-relative path a link or src names, or None when it leaves the site (or
    names only a place on the same page)."""
    link = link.strip()
    if not link or link.startswith("#"):
        return None
    base = _base(site.info.base_url)
    if link.startswith("/") and not link.startswith("//") and "/." not in link:
        path = unquote(link.partition("#")[0].partition("?")[0])  # what urljoin gives, faster
        return path[len(base.path) :] if path.startswith(base.path) else None
    absolute = urlsplit(urljoin(article.url, link))
    if (absolute.scheme, absolute.netloc) != (base.scheme, base.netloc):
        return None
    path = unquote(absolute.path)
    if not path.startswith(base.path):
        return None
    return path[len(base.path) :]


@lru_cache(maxsize=4)
def _base(base_url: str) -> SplitResult:
    return urlsplit(base_url)


def _pages(site: Site) -> set[str]:
    """Every page and feed folder the site has, as site paths ending in "/"."""
    pages = {"", urls.TAGS_DIR + "/", "authors/"}
    pages.update(f"{path}/" for path in site.sections if path)
    pages.update(a.path for a in site.articles)
    pages.update(urls.tag_dir(tag) for tag in site.by_tag)
    pages.update(f"authors/{slug}/" for slug in site.by_author())
    return pages


def _is_page(path: str, pages: set[str]) -> bool:
    folder, _, name = path.rpartition("/")
    folder = f"{folder}/" if folder else ""
    if name in ("", urls.INDEX) or name in urls.FEED_FILES.values():
        return folder in pages or _paginated(folder, pages)
    if f"{path}/" in pages:  # a page linked without its slash: servers redirect
        return True
    return name in urls.SITE_NAMES and not folder  # sitemap.xml, robots.txt, 404.html...


def _paginated(folder: str, pages: set[str]) -> bool:
    """`<list>/page/N/` of a list page the site has."""
    match = re.fullmatch(r"(.*?)page/[0-9]+/", folder)
    return match is not None and match[1] in pages
