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
import time
from bisect import bisect_left
from dataclasses import replace
from functools import lru_cache
from itertools import chain
from pathlib import Path, PurePosixPath
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from . import urls
from .errors import Problem
from .model import Article, Site


def check_links(
    site: Site,
    content_dir: Path,
    static_dir: Path,
    reuse: LinkReuse | None = None,
) -> tuple[Site, list[Problem]]:
    """The site without missing lead images, and one warning per broken link or picture.

    `reuse` holds the last check's results: an article that is the same object as then,
    in a site with the same pages and files, is not checked again; and when `site` is
    the last site checked with a few articles swapped (`Site.replacing`), only those are
    looked at, so the check costs what the edit changed (see `FolderFiles` for the two
    folders' files).
    """
    reuse = reuse if reuse is not None else LinkReuse()
    pages, moved = reuse.pages_of(site)
    static, content = reuse.files_below(static_dir), reuse.files_below(content_dir)
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
        self.folders: dict[Path, FolderFiles] = {}
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

    def files_below(self, folder: Path) -> set[str]:
        """Every file below `folder` (see `FolderFiles`): the same set while none came or went."""
        found = self.folders.get(folder)
        if found is None:
            found = self.folders[folder] = FolderFiles(str(folder))
        return found.files()

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
        if found and (old := self.troubled.setdefault(slug, found)) is not found:
            self.troubled[slug] = found
            return old != found  # the same warnings again: nothing to join anew
        at = bisect_left(self.ordered, site.position(slug), key=site.position)
        if found:
            self.ordered.insert(at, slug)
        else:
            del self.ordered[at]
        return True


class FolderFiles:
    """The files below a folder, walked again only when one may have come or gone.

    A file created, removed or renamed changes the mtime of the folder holding it, so a
    look at the folders' mtimes (far fewer than the files) tells whether to walk again.
    An mtime too recent to tell (`RACY_NS`, as for the build cache's file stamps) means
    walking again next time too, and so does a symlink, whose target may come or go
    anywhere. `syndicate watch` is not told of every file beside the articles (pictures
    are not Markdown), so the watcher's paths cannot say this.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.found: set[str] = set()
        self.stamps: list[tuple[str, int]] | None = None  # (folder, mtime): None, walk

    def files(self) -> set[str]:
        if self.stamps is not None and all(_mtime(path) == at for path, at in self.stamps):
            return self.found
        taken = time.time_ns()
        found, stamps, links = _walk_folders(self.root)
        trusted = not links and all(at < taken - RACY_NS for _, at in stamps)
        self.stamps = stamps if trusted else None
        if found != self.found:
            self.found = found
        return self.found


RACY_NS = 3_000_000_000  # as `engine.filestamp`: longer than the coarsest mtime tick


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _walk_folders(root: str) -> tuple[set[str], list[tuple[str, int]], bool]:
    """Every file below `root` (symlinks to files too) as a POSIX path relative to it,
    every folder's mtime (taken before it is listed), and whether a symlink was among
    the entries. Directory entries say which are files without a stat of their own."""
    found: set[str] = set()
    stamps: list[tuple[str, int]] = []
    links = False
    pending = [("", root)]
    while pending:
        prefix, path = pending.pop()
        mtime = _mtime(path)
        try:
            entries = list(os.scandir(path))
        except OSError:
            entries = []
        stamps.append((path, -1 if mtime is None else mtime))
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                pending.append((f"{prefix}{entry.name}/", entry.path))
                continue
            links = links or entry.is_symlink()
            if entry.is_file():
                found.add(prefix + entry.name)
    return found, stamps, links


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
