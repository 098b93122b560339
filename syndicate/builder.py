"""Builder: validated source records -> the immutable `Site` model.

Owns everything that needs more than one file to decide: site-wide unique slugs,
related articles, breadcrumbs, URLs and time zones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from types import MappingProxyType
from typing import Any

from . import urls
from .errors import Problem
from .fields import Matter
from .markdown import RenderedBody, render_body, shorten
from .model import Article, Crumb, RelatedArticle, Section, Site, SiteInfo
from .reader import ARTICLE_SUFFIXES, ReadResult, SourceArticle, key_line
from .slug import is_valid_slug, slugify

BodyRenderer = Callable[[list[SourceArticle]], list[RenderedBody]]


def render_serially(sources: list[SourceArticle]) -> list[RenderedBody]:
    return [render_body(src.body) for src in sources]


@dataclass
class BuildResult:
    site: Site
    problems: list[Problem]  # errors and warnings (`severity`)
    drafts: int  # articles left out because they are drafts

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    # When time alone changes what is live: a scheduled story goes out or one expires.
    next_change: datetime | None = None


def build_site(
    read: ReadResult,
    info: SiteInfo,
    *,
    permalink: str,
    include_drafts: bool = False,
    render: BodyRenderer = render_serially,
    now: datetime | None = None,
    reuse: Reuse | None = None,
) -> BuildResult:
    """Link and render every article; problems are collected, never raised.

    An article published after `now` is scheduled: built (embargo partners get it) but
    kept out of `site.articles`, so no channel lists or links it; one whose `expires` is
    not after `now` is out of every channel, as a takedown. `now=None`: all live.
    `reuse` carries the last build's per-article results (see `Reuse`).
    """
    reuse = reuse if reuse is not None else Reuse()
    problems = list(read.problems)
    sections = build_sections(read, info)
    problems.extend(_section_problems(sections))
    chosen, drafts = _unique_slugs(read.articles, problems, include_drafts)
    draft_slugs = {slug for slug, src in _all_slugs(read.articles) if src.matter.draft}
    draft_slugs -= chosen.keys()
    stamped = _stamp(chosen, info, problems, reuse)
    rendered = render([src for src, _ in stamped.values()])
    bodies = dict(zip(stamped, rendered, strict=True))
    placed = _place(stamped, bodies, info, permalink, reuse)
    problems.extend(_path_problems(stamped, placed, sections, reuse))
    # A related slug naming a draft, or an article with a problem of its own (reported
    # there), is left out without a second problem.
    expiry = _expiries(stamped, info, problems)
    expired = {s for s, at in expiry.items() if now is not None and at <= now}
    live = {
        s for s, (_, (published, _)) in stamped.items() if now is None or published <= now
    } - expired
    failed = _failed_slugs(read, chosen.keys() - stamped.keys())
    gone = Gone(draft_slugs, failed, stamped, live, {s: expiry[s] for s in expired})
    related = _resolve_related(stamped, placed, problems, gone)
    reuse.referrers = _referrers(related)
    articles = [
        reuse.article(
            slug, src, when, bodies[slug], placed[slug], related.get(slug, ()), sections, info
        )
        for slug, (src, when) in stamped.items()
    ]
    reuse.forget_others(stamped)
    problems.extend(_uid_problems(articles, stamped))
    articles.sort(key=lambda a: (a.published.timestamp(), a.slug), reverse=True)
    shown_or_gone = live | expired  # once: not once per article
    site = Site(
        info=info,
        articles=tuple(a for a in articles if a.slug in live),
        sections=MappingProxyType(sections),
        scheduled=tuple(a for a in reversed(articles) if a.slug not in shown_or_gone),
        expired=frozenset(a.uid for a in articles if a.slug in expired),
    )
    upcoming = [a.published for a in site.scheduled] + [expiry[s] for s in live if s in expiry]
    return BuildResult(site, problems, drafts, min(upcoming, default=None))


def rebuild(
    last: BuildResult,
    edited: Sequence[SourceArticle],
    info: SiteInfo,
    *,
    permalink: str,
    bodies: Mapping[str, RenderedBody],
    reuse: Reuse,
) -> BuildResult | None:
    """`build_site` again after only the `edited` article files changed, at a cost that
    does not grow with the site: the last build with those articles made again, and the
    articles that list one of them as related (which show its title and summary).

    Exact only when no edit moves an article: the same slug, date, section, draft state,
    expiry, tags, authors, related list and id (what decides which lists it is in, in
    which place, and what else the build checks across articles). Anything else returns
    None, and only a whole build is exact. `bodies`: rendered bodies by file digest.
    """
    site = last.site
    places: dict[str, tuple[str, RelatedArticle]] = {}
    made: dict[str, tuple[SourceArticle, tuple[datetime, datetime | None], RenderedBody]] = {}
    for src in edited:
        known = reuse.built.get(src.path)
        if known is None or not _same_place(known[0], src):
            return None
        slug, when, place = known[2][0], known[2][1], known[2][2]
        body = bodies.get(src.digest)
        dated = _dated(src, info)
        if site.by_slug.get(str(slug)) is not known[3] or body is None or dated is None:
            return None  # not live, or not rendered, or a date problem to report
        assert isinstance(slug, str) and isinstance(place, tuple) and isinstance(when, tuple)
        if dated[0] != when[0]:
            return None
        path = place[0]
        ref = RelatedArticle(slug, src.matter.title, info.absolute(path), dated[0],
                             _summary(src, body))  # fmt: skip
        places[slug] = (path, ref)
        made[slug] = (src, dated, body)
        reuse.dated[src.path] = (src, info.timezone, dated)
        reuse.placed[src.path] = (
            src,
            body,
            (slug, dated[0], info.base_url, permalink),
            places[slug],
        )
    listing = {r for slug in places for r in reuse.referrers.get(slug, ())} - places.keys()
    new: dict[str, Article] = {}
    for slug in list(places) + sorted(listing):
        old = site.by_slug.get(slug)
        if old is None:
            return None  # a scheduled story lists it: a whole build
        src, when, body = made.get(slug) or _inputs_of(reuse.built[old.source_file])
        related = tuple(places[r.slug][1] if r.slug in places else r for r in old.related)
        place = places.get(slug) or reuse.built[old.source_file][2][2]
        assert isinstance(place, tuple)
        new[slug] = reuse.article(slug, src, when, body, place, related, site.sections, info)
    return BuildResult(site.replacing(new), list(last.problems), last.drafts, last.next_change)


def _same_place(old: SourceArticle, new: SourceArticle) -> bool:
    """Whether an edit leaves an article where it was: see `rebuild`."""
    a, b = old.matter, new.matter
    return (
        old.path == new.path
        and old.section == new.section
        and _slug_of(old) == _slug_of(new)
        and (a.published, a.draft, a.expires) == (b.published, b.draft, b.expires)
        and (a.tags, a.authors, a.related) == (b.tags, b.authors, b.related)
        and a.extra.get("id") == b.extra.get("id")
    )


def _dated(src: SourceArticle, info: SiteInfo) -> tuple[datetime, datetime | None] | None:
    """The article's aware (published, updated), or None if it has a date problem."""
    problems: list[Problem] = []
    stamped = _stamp({"_": src}, info, problems, Reuse())
    return None if problems else stamped["_"][1]


def _inputs_of(
    entry: tuple[SourceArticle, RenderedBody, Inputs, Article],
) -> tuple[SourceArticle, tuple[datetime, datetime | None], RenderedBody]:
    when = entry[2][1]
    assert isinstance(when, tuple)
    return entry[0], when, entry[1]


def _referrers(related: Mapping[str, tuple[RelatedArticle, ...]]) -> dict[str, set[str]]:
    """slug -> the articles that list it as related."""
    found: dict[str, set[str]] = {}
    for slug, items in related.items():
        for item in items:
            found.setdefault(item.slug, set()).add(slug)
    return found


def _expiries(stamped: Stamped, info: SiteInfo, problems: list[Problem]) -> dict[str, datetime]:
    """slug -> aware `expires` time of the articles that have one (bad ones reported)."""
    found = {}
    for slug, (src, (published, _)) in stamped.items():
        value = src.matter.expires
        if value is None:
            continue
        try:
            at = _aware(value, info.timezone, "expires")
        except ValueError as exc:
            problems.append(Problem(src.path, str(exc), key_line_of(src, "expires")))
            continue
        if at <= published:
            message = "expires: is not after published (the story would never be out)"
            problems.append(Problem(src.path, message, key_line_of(src, "expires")))
            continue
        found[slug] = at
    return found


def build_sections(read: ReadResult, info: SiteInfo) -> dict[str, Section]:
    """Every folder that holds articles or an _index.md, plus all of their parents."""
    paths = {""} | set(read.sections)
    for article in read.articles:
        paths.add(article.section)
    for path in list(paths):
        while path:
            path = path.rpartition("/")[0]
            paths.add(path)
    titles = {path: _section_title(read, path, info) for path in paths}
    sections = {}
    for path in sorted(paths):
        chain = _ancestors(path)
        crumbs = tuple(Crumb(titles[p], p, info.absolute(_section_url(p))) for p in chain)
        children = tuple(sorted(p for p in paths if p and p.rpartition("/")[0] == path))
        index = read.sections.get(path)
        description = index.matter.description if index else ""
        if not path and not description:
            description = info.description
        sections[path] = Section(
            path, titles[path], description, info.absolute(_section_url(path)), crumbs, children,
            tuple(sorted(index.matter.titles.items())) if index else (),
        )  # fmt: skip
    return sections


def _section_problems(sections: Mapping[str, Section]) -> Iterable[Problem]:
    for path in sections:
        if path:
            try:
                urls.check_section_path(path)
            except ValueError as exc:
                yield Problem(f"{path}/", str(exc))


def _path_problems(
    stamped: Stamped, placed: Places, sections: Mapping[str, Section], reuse: Reuse
) -> Iterable[Problem]:
    """Articles whose URL path (from the permalink) the site cannot give them."""
    folders = frozenset(sections)
    checked = reuse.fine_paths if folders == reuse.folders else set()
    reuse.folders, reuse.fine_paths = folders, set()
    for slug, (src, _) in stamped.items():
        if placed[slug][0] in checked:
            reuse.fine_paths.add(placed[slug][0])
            continue
        try:
            urls.check_article_path(placed[slug][0], sections.keys())
        except ValueError as exc:
            yield Problem(src.path, str(exc), key_line_of(src, "slug"))
        else:
            reuse.fine_paths.add(placed[slug][0])


def _uid_problems(articles: list[Article], stamped: Stamped) -> Iterable[Problem]:
    """Two feed entries with one id are one entry to every reader: refuse the second."""
    first: dict[str, str] = {}
    for article in articles:
        src = stamped[article.slug][0]
        declared = src.matter.extra.get("id")
        if declared is not None and (
            type(declared) not in (str, int) or not article.uid.isprintable() or " " in article.uid
        ):
            yield Problem(
                src.path,
                "id: must be one word without spaces, such as tag:example.com,2024:123",
                key_line_of(src, "id"),
            )
        other = first.setdefault(article.uid, article.source_file)
        if other != article.source_file:
            yield Problem(
                src.path,
                f"id: {article.uid!r} is the id of {other} too (ids must be unique)",
                key_line_of(src, "id"),
            )


def _section_title(read: ReadResult, path: str, info: SiteInfo) -> str:
    index = read.sections.get(path)
    if index and index.matter.title:
        return index.matter.title
    if not path:
        return info.title
    return path.rpartition("/")[2].replace("-", " ").replace("_", " ").title()


def _ancestors(path: str) -> list[str]:
    chain = [""]
    parts = path.split("/") if path else []
    for i in range(len(parts)):
        chain.append("/".join(parts[: i + 1]))
    return chain


def _section_url(path: str) -> str:
    return f"{path}/" if path else ""


def _all_slugs(sources: list[SourceArticle]) -> Iterable[tuple[str, SourceArticle]]:
    for src in sources:
        yield _slug_of(src), src


def _slug_of(src: SourceArticle) -> str:
    if src.matter.slug is not None:
        return src.matter.slug
    stem = src.path.rpartition("/")[2].rsplit(".", 1)[0]
    return stem if is_valid_slug(stem) else slugify(stem) or slugify(src.matter.title)


def _unique_slugs(
    sources: list[SourceArticle], problems: list[Problem], include_drafts: bool
) -> tuple[dict[str, SourceArticle], int]:
    chosen: dict[str, SourceArticle] = {}
    drafts = 0
    for slug, src in _all_slugs(sources):
        if not is_valid_slug(slug):
            problems.append(
                Problem(
                    src.path,
                    f"slug {slug!r} is invalid: use lowercase letters, "
                    "digits and single hyphens only ([a-z0-9-]+, no '/' or '..')",
                    key_line_of(src, "slug"),
                )
            )
            continue
        if slug in chosen:
            other = chosen[slug].path
            problems.append(
                Problem(
                    src.path,
                    f"duplicate slug {slug!r}: {other} uses it too",
                    key_line_of(src, "slug"),
                )
            )
            continue
        if src.matter.draft and not include_drafts:
            drafts += 1
            continue
        chosen[slug] = src
    return chosen, drafts


def _failed_slugs(read: ReadResult, undated: Iterable[str]) -> set[str]:
    """Slugs of articles that could not be read or dated: the default slug (from the
    file name) of each unreadable article file, and the undated ones."""
    failed = set(undated)
    read_ok = {src.path for src in read.articles}
    for problem in read.problems:
        path = str(problem.path)
        if path.endswith(ARTICLE_SUFFIXES) and path not in read_ok:
            stem = path.rpartition("/")[2].rsplit(".", 1)[0]
            failed.add(stem if is_valid_slug(stem) else slugify(stem))
    return failed


def key_line_of(src: SourceArticle, key: str) -> int | None:
    return key_line(src.matter_text, key)


Stamped = dict[str, tuple[SourceArticle, tuple[datetime, datetime | None]]]


def _stamp(
    chosen: Mapping[str, SourceArticle], info: SiteInfo, problems: list[Problem], reuse: Reuse
) -> Stamped:
    """Give every article aware datetimes; drop (and report) those we cannot date."""
    stamped: Stamped = {}
    for slug, src in chosen.items():
        known = reuse.dated.get(src.path)
        if known is not None and known[0] is src and known[1] is info.timezone:
            stamped[slug] = (src, known[2])
            continue
        try:
            published = _aware(src.matter.published, info.timezone, "published")
            updated = (
                _aware(src.matter.updated, info.timezone, "updated")
                if src.matter.updated is not None
                else None
            )
        except ValueError as exc:
            key = str(exc).partition(":")[0]
            problems.append(Problem(src.path, str(exc), key_line_of(src, key)))
            continue
        bad_key = _out_of_range(published, updated)
        if bad_key:
            problems.append(
                Problem(
                    src.path,
                    f"{bad_key}: is outside {_EARLIEST.date()} to {_LATEST.date()} "
                    "in UTC (feeds and pages in every time zone must be able to write it)",
                    key_line_of(src, bad_key),
                )
            )
            continue
        if updated is not None and updated < published:
            problems.append(
                Problem(src.path, "updated: is earlier than published", key_line_of(src, "updated"))
            )
            continue
        stamped[slug] = (src, (published, updated))
        reuse.dated[src.path] = (src, info.timezone, (published, updated))
    return stamped


# A day inside what `datetime` holds: every time zone a channel shows a date in fits.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)


def _out_of_range(published: datetime, updated: datetime | None) -> str | None:
    """The key of a date that some channel could not convert to its time zone."""
    for key, value in (("published", published), ("updated", updated)):
        if value is not None:
            try:
                if not _EARLIEST <= value.astimezone(UTC) <= _LATEST:
                    return key
            except OverflowError:
                return key
    return None


def _aware(value: datetime | date, zone: tzinfo | None, key: str) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), zone or UTC)
    if value.tzinfo is not None:
        return value
    if zone is None:
        raise ValueError(
            f"{key}: {value.isoformat()} has no UTC offset and the site has no "
            "timezone: add an offset (+08:00) or set site.timezone"
        )
    return value.replace(tzinfo=zone)


def _article_path(permalink: str, section: str, slug: str, published: datetime) -> str:
    return (
        permalink.format(
            section=section,
            slug=slug,
            year=f"{published.year:04d}",
            month=f"{published.month:02d}",
            day=f"{published.day:02d}",
        )
        .lstrip("/")
        .replace("//", "/")
    )


def _summary(src: SourceArticle, body: RenderedBody) -> str:
    return shorten(src.matter.summary or body.first_paragraph)


Places = dict[str, tuple[str, RelatedArticle]]  # slug -> (URL path, how others list it)


def _place(
    stamped: Stamped,
    bodies: Mapping[str, RenderedBody],
    info: SiteInfo,
    permalink: str,
    reuse: Reuse,
) -> Places:
    """Every article's URL path and summary, worked out once for its page and its referrers."""
    placed: Places = {}
    for slug, (src, (published, _)) in stamped.items():
        body = bodies[slug]
        inputs = (slug, published, info.base_url, permalink)
        known = reuse.placed.get(src.path)
        if known is not None and known[0] is src and known[1] is body and known[2] == inputs:
            placed[slug] = known[3]
            continue
        path = _article_path(permalink, src.section, slug, published)
        summary = _summary(src, body)
        ref = RelatedArticle(slug, src.matter.title, info.absolute(path), published, summary)
        placed[slug] = (path, ref)
        reuse.placed[src.path] = (src, body, inputs, placed[slug])
    return placed


@dataclass(frozen=True)
class Gone:
    """Why a `related` slug may name no live article: what a takedown leaves behind."""

    drafts: set[str]
    failed: set[str]  # articles with a problem of their own, reported there
    stamped: Stamped
    live: set[str]
    expired: dict[str, datetime]

    def why(self, slug: str, referrer: str) -> str | None:
        """None when `slug` may be linked from `referrer` (a live one, or a scheduled one
        from another scheduled story); else why not, for the warning ("" for silence)."""
        if slug in self.live or (slug in self.stamped and referrer not in self.live):
            return None
        if slug in self.failed:
            return ""
        if slug in self.drafts:
            return f"{slug!r} is a draft; left out"
        if slug in self.expired:
            return f"{slug!r} expired at {self.expired[slug].isoformat()}; left out"
        if slug in self.stamped:
            published = self.stamped[slug][1][0]
            return f"{slug!r} is scheduled for {published.isoformat()}; left out until then"
        return f"unknown slug {slug!r} (no article has it); left out"


def _resolve_related(
    stamped: Stamped, placed: Places, problems: list[Problem], gone: Gone
) -> dict[str, tuple[RelatedArticle, ...]]:
    """Related entries that can be linked; the rest are dropped with a warning, so a
    takedown never waits for every article that mentions the story to be edited."""
    resolved: dict[str, tuple[RelatedArticle, ...]] = {}
    for slug, (src, _) in stamped.items():
        items = []
        for other in dict.fromkeys(src.matter.related):
            if other == slug:
                problems.append(
                    Problem(
                        src.path,
                        "related: an article cannot be related to itself",
                        key_line_of(src, "related"),
                    )
                )
                continue
            why = gone.why(other, slug)
            if why is None:
                items.append(placed[other][1])
            elif why:
                line = key_line_of(src, "related")
                problems.append(Problem(src.path, f"related: {why}", line, "warning"))
        resolved[slug] = tuple(items)
    return resolved


def _article(
    slug: str,
    src: SourceArticle,
    when: tuple[datetime, datetime | None],
    body: RenderedBody,
    place: tuple[str, RelatedArticle],
    related: tuple[RelatedArticle, ...],
    sections: Mapping[str, Section],
    info: SiteInfo,
) -> Article:
    m: Matter = src.matter
    published, updated = when
    path, ref = place
    extra: dict[str, Any] = dict(m.extra)
    return Article(
        slug=slug,
        title=m.title,
        section=src.section,
        breadcrumb=sections[src.section].breadcrumb,
        published=published,
        updated=updated,
        summary=ref.summary,
        authors=m.authors,
        source=m.source,
        tags=tuple(dict.fromkeys(m.tags)),
        related=related,
        image=m.image,
        language=m.language or info.language,
        url=ref.url,
        path=path,
        body=body.body,
        word_count=body.word_count,
        source_file=src.path,
        content_hash=src.digest,
        uid=str(extra.pop("id", None) or info.article_uid(slug)),
        draft=m.draft,
        extra=MappingProxyType(extra),
        matter=m,
    )


Inputs = tuple[object, ...]


class Reuse:
    """The last build's per-article results, for a publisher that builds again and again.

    An entry is taken only for the very source object (and rendered body) it was worked
    out from, with equal other inputs: the build cache hands out the same objects for a
    file that did not change, so an unchanged article comes out as the same `Article`
    object, and whatever later stages worked out about it (its fingerprint, its keys,
    its link check) stays good for them. Purely a saving: an empty `Reuse` (every
    `syndicate publish` process starts with one) gives equal output.
    """

    def __init__(self) -> None:
        self.dated: dict[str, tuple[SourceArticle, object, tuple[datetime, datetime | None]]] = {}
        self.placed: dict[
            str, tuple[SourceArticle, RenderedBody, Inputs, tuple[str, RelatedArticle]]
        ] = {}
        self.built: dict[str, tuple[SourceArticle, RenderedBody, Inputs, Article]] = {}
        self.folders: frozenset[str] = frozenset()
        self.referrers: dict[str, set[str]] = {}  # slug -> the articles listing it as related
        self.fine_paths: set[str] = set()  # article paths that passed the path check

    def article(
        self,
        slug: str,
        src: SourceArticle,
        when: tuple[datetime, datetime | None],
        body: RenderedBody,
        place: tuple[str, RelatedArticle],
        related: tuple[RelatedArticle, ...],
        sections: Mapping[str, Section],
        info: SiteInfo,
    ) -> Article:
        """`_article`, or the same object as last time when nothing it reads changed."""
        inputs = (slug, when, place, related, sections[src.section].breadcrumb, info)
        known = self.built.get(src.path)
        if known is not None and known[0] is src and known[1] is body and known[2] == inputs:
            return known[3]
        made = _article(slug, src, when, body, place, related, sections, info)
        self.built[src.path] = (src, body, inputs, made)
        return made

    def forget_others(self, stamped: Stamped) -> None:
        """Drop the entries of files no longer built, so memory follows the site."""
        present = {src.path for src, _ in stamped.values()}
        for table in (self.dated, self.placed, self.built):
            for path in table.keys() - present:
                del table[path]
