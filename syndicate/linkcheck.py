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
from operator import attrgetter
from pathlib import Path, PurePosixPath
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

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
    results = reuse.results
    problems: list[Problem] = []
    troubled: dict[str, list[Problem]] = {}
    swapped: dict[str, Article] = {}  # only lead images go: every article keeps its place
    for article in site.articles:
        last = known.get(article.source_file)
        if last is None or last[0] is not article:
            found: list[Problem] = []
            checked = _check_article(site, article, pages, moved, static, content, found)
            last = (article, found, checked)
        results[article.source_file] = last
        if last[1]:
            troubled[article.slug] = last[1]
            problems.extend(last[1])
        if last[2] is not article:
            swapped[article.slug] = last[2]
    checked_site = site.replacing(swapped)
    reuse.done(site, checked_site, troubled, problems)
    return checked_site, list(problems)


Result = tuple[Article, list[Problem], Article]  # (article, its warnings, it checked)
_PATH, _SLUG_PATH = attrgetter("path"), attrgetter("slug", "path")


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
            self.pages = (_pages(site), dict(map(_SLUG_PATH, site.articles)))  # at C speed
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
        last_checked = self.last[1]
        if last_checked.version() is self.last[0] and all(
            checked is site.by_slug[slug] for slug, checked in swapped.items()
        ):  # the check took nothing out, then or now: the site as it is (no copy of it)
            checked_site = site
        else:
            checked_site = last_checked.replacing(swapped)
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
            if entry.is_file(follow_symlinks=False):  # most entries: one look at the entry
                found.add(prefix + entry.name)
            elif entry.is_dir(follow_symlinks=False):
                pending.append((f"{prefix}{entry.name}/", entry.path))
            else:
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
    image = article.image
    targets = article.body.targets
    if not targets and image is None:  # most articles of a big site: nothing to look at
        return article
    base = _base(site.info.base_url)
    for tag, raw in targets:
        path = _site_path(base, article, html.unescape(raw) if "&" in raw else raw)
        if path is None:
            continue
        if tag == "img" and not _is_file(path, article, static, content):
            problems.append(_warning(article, f"picture /{path} is not in static/ "
                                     "nor beside the article"))  # fmt: skip
        elif tag == "a" and not (_is_page(path, pages) or _is_file(path, article, static, content)):
            problems.append(_warning(article, _no_page(path, moved)))
    if image is not None and not image.src.startswith(("http://", "https://")):
        path = _site_path(base, article, image.src)
        if path is None or not _is_file(path, article, static, content):
            message = f"image: {image.src} is not in static/ nor beside the article; left out"
            problems.append(_warning(article, message))
            article = replace(article, image=None)
    return article


def _is_file(path: str, article: Article, static: set[str], content: set[str]) -> bool:
    """Whether a site path is a file the site publishes as is: static or beside `article`.

    Looked up in sets of the two folders' files, walked once per check: a stat per link
    cost a tenth of a publish after one edit on 10,000 articles. The article's folder is
    worked out only for a path below the article's own: most links are not.
    """
    if path and path in static:
        return True
    rest = path.removeprefix(article.path)
    return rest != path and bool(rest) and f"{_beside(article.source_file)}{rest}" in content


def _beside(source_file: str) -> str:
    """The folder of a content file as a prefix of the content folder's files ("" at its
    top): `PurePosixPath(source_file).parent`, worked out once per folder."""
    head, slash, name = source_file.rpartition("/")
    if not slash:  # "story.md": at the top
        return ""
    if name in ("", "."):  # PurePosixPath drops such a last part: not the file's name
        return _folder_prefix(source_file)
    return _folder_prefix_of(head)


@lru_cache(maxsize=256)
def _folder_prefix_of(head: str) -> str:
    # Any other last part leaves the parent as it is: "_" stands in for the file's name.
    return _folder_prefix(f"{head}/_")


def _folder_prefix(source_file: str) -> str:
    folder = PurePosixPath(source_file).parent.as_posix()
    return "" if folder == "." else f"{folder}/"


def _warning(article: Article, message: str) -> Problem:
    return Problem(article.source_file, message, None, "warning")


def _no_page(path: str, moved: dict[str, str]) -> str:
    name = path.rstrip("/").rpartition("/")[2]
    slug = name.removesuffix(urls.INDEX)
    where = moved.get(slug) or moved.get(name)
    hint = f" (the story {slug!r} is at /{where})" if where else ""
    return f"link /{path} leads to no page of the site{hint}"


def _site_path(base: _Base, article: Article, link: str) -> str | None:
    """The site-relative path a link or src names, or None when it leaves the site (or
    names only a place on the same page)."""
    link = link.strip()
    if not link or link.startswith("#"):
        return None
    if link.startswith("/") and not link.startswith("//") and "/." not in link:
        path: str | None = link.partition("#")[0].partition("?")[0]  # as urljoin, faster
    else:
        path = _joined_path(base, article.url, link)
    if path is None:
        return None
    path = unquote(path)
    return path[len(base.path) :] if path.startswith(base.path) else None


def _joined_path(base: _Base, article_url: str, link: str) -> str | None:
    """The path of `urljoin(article_url, link)`, or None when that is on another host.

    Worked out without urljoin (which cost a third of a whole check) for another site's
    http(s) URL and for a plain relative path, the commonest links after those from the
    site's root; any other link goes through urljoin.
    """
    other = _OTHER_SITE.match(link)
    if other is not None and other[2].isascii() and other.group(1, 2) != base[1:3]:
        return None  # (a host not in ASCII goes on to urlsplit, to be refused as it was)
    path = _relative_path(base, article_url, link)
    if path is not None:
        return path
    absolute = urlsplit(urljoin(article_url, link))
    same_host = (absolute.scheme, absolute.netloc) == (base.scheme, base.netloc)
    return absolute.path if same_host else None


# An http(s) URL's scheme and host, as urlsplit finds them; none when it would take
# characters out ("\t\r\n") or check brackets first, or when the host is empty (then
# urljoin takes the article's).
_OTHER_SITE = re.compile(r"(https?)://([^/?#\[\]\t\r\n]+)(?:[/?#]|\Z)")
# A relative path alone: no scheme, query, fragment, parameters or control characters
# (urlsplit strips some), and not from the root.
_PLAIN = re.compile(r"[^/:?#;\x00-\x1f][^:?#;\x00-\x1f]*")


def _relative_path(base: _Base, article_url: str, link: str) -> str | None:
    """The path urljoin gives a plain relative `link` (see `_PLAIN`) from an article
    whose URL is the base URL and a plain path; None for any other link or URL."""
    if not base.simple or _PLAIN.fullmatch(link) is None:
        return None
    rest = article_url.removeprefix(base.url)
    if rest == article_url or (rest and _PLAIN.fullmatch(rest) is None):
        return None
    return _resolved(f"{base.path}{rest}", link)


def _resolved(base_path: str, link: str) -> str:
    """urljoin's path for a relative path without scheme, query or fragment: the link's
    segments after the base's folder, "." and ".." resolved (RFC 3986, as urljoin)."""
    base_parts = base_path.split("/")
    if base_parts[-1] != "":  # the last part is not a folder
        del base_parts[-1]
    segments = base_parts + link.split("/")
    segments[1:-1] = filter(None, segments[1:-1])  # no empty parts between others
    resolved: list[str] = []
    for segment in segments:
        if segment == "..":
            if resolved:
                resolved.pop()
        elif segment != ".":
            resolved.append(segment)
    if segments[-1] in (".", ".."):
        resolved.append("")
    path = "/".join(resolved)
    return path if path.startswith("/") else f"/{path}"  # as urlunsplit puts it


class _Base(NamedTuple):
    """The site's base URL, split once per check."""

    url: str
    scheme: str
    netloc: str
    path: str
    # Scheme, host and path alone (no query, fragment, parameters, or characters urlsplit
    # drops): an article's URL below it has its host, and its path is the base's and the rest.
    simple: bool


@lru_cache(maxsize=4)
def _base(base_url: str) -> _Base:
    scheme, netloc, path, _, _ = urlsplit(base_url)
    simple = path.startswith("/") and ";" not in path and base_url == f"{scheme}://{netloc}{path}"
    return _Base(base_url, scheme, netloc, path, simple)


def _pages(site: Site) -> set[str]:
    """Every page and feed folder the site has, as site paths ending in "/"."""
    pages = {"", urls.TAGS_DIR + "/", "authors/"}
    pages.update(f"{path}/" for path in site.sections if path)
    pages.update(map(_PATH, site.articles))
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
    if "page/" not in folder:  # most links: no need for the pattern
        return False
    match = _PAGE_N.fullmatch(folder)
    return match is not None and match[1] in pages


_PAGE_N = re.compile(r"(.*?)page/[0-9]+/")
