"""Publish pipeline: read -> validate all -> build the model -> run channels -> write.

Nothing is written unless every file validated and every channel rendered; the writer
then puts the changed files live (see `writer`). A build cache makes the next publish redo only
what changed, and skip everything when no input changed at all.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Collection, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from .builder import BuildResult, build_site
from .channel import AnyChannel, ChannelContext, PublishReport, channel_settings, select_channels
from .clock import utc_now
from .config import Config
from .delivery.corrections import apply_from as apply_revisions
from .delivery.corrections import open_revisions
from .engine.cache import BuildCache, Resident, read_incrementally
from .engine.cachefile import secret_key
from .engine.edits import build_edit, remember
from .engine.lock import publish_lock
from .engine.render import Renderer
from .engine.stamps import (
    InputsStamp,
    inputs_fingerprint,
    next_change_recorded,
    remember_publish,
    sources_fingerprint,
    templates_stamp,
    unchanged_since_last_publish,
)
from .engine.walks import Walks
from .errors import CacheError, ContentError, Problem, SyndicateError, Warnings
from .linkcheck import check_links
from .model import Article
from .outcome import PublishOutcome, WriteReport
from .reader import ARTICLE_SUFFIXES
from .summary import tally
from .templating import Templates
from .writer import StagedOutput

Step = Callable[[str, int], None]  # (description, total): announce a phase
Advance = Callable[[float], None]  # fractions: see Renderer.run


@dataclass
class Progress:
    """Hooks the CLI uses to draw a progress bar; the defaults draw nothing."""

    start: Step = lambda description, total: None
    advance: Advance = lambda n: None


@dataclass(frozen=True)
class When:
    """The time a publish runs at: `now` (None: the clock, read once) or, with
    `future`, every scheduled story as if its time had come (previews)."""

    now: datetime | None = None
    future: bool = False

    def resolved(self) -> When:
        return When(self.now or utc_now(), self.future)

    @property
    def cutoff(self) -> datetime | None:
        """Stories published after this are scheduled (None: none are)."""
        return None if self.future else (self.now or utc_now())


def load_site(
    config: Config,
    *,
    include_drafts: bool = False,
    cache: BuildCache | None = None,
    when: When = When(),
    resident: Resident | None = None,
) -> BuildResult:
    """Read and build the whole site, collecting every problem instead of stopping.

    `resident` keeps the builder's and link check's results between the publishes of a
    long-running process, so only what changed is worked out again."""
    cache = cache if cache is not None else BuildCache()  # empty: still reads across cores
    resident = resident or Resident()
    content, limit = config.content_dir, config.file.max_file_bytes
    read = read_incrementally(content, limit, cache, resident.walks, resident.reads)
    delta = resident.reads.delta if resident.reads.result is read else None
    if delta is None:  # else the same files as the last read: none to forget
        cache.forget_missing({rel for rel, _, _ in read.stamps})
    settings = (config.site, config.file.permalink, include_drafts, when.cutoff is None)
    last, bodies = resident.last_build, cache.bodies
    built = build_edit(
        last, read, config.site, settings, when.cutoff, bodies, resident.build, delta
    )
    if built is None:
        built = build_site(
            read,
            config.site,
            permalink=config.file.permalink,
            include_drafts=include_drafts,
            render=cache.render,
            now=when.cutoff,
            reuse=resident.build,
        )
    resident.last_build = remember(read, built, settings, last, delta, when.cutoff)
    built.site, broken = check_links(
        built.site, config.content_dir, config.static_dir, resident.links
    )
    built.problems += broken
    return built


def check(config: Config, *, include_drafts: bool = True) -> list[Problem]:
    """Every problem in content and channel settings; no error means publishable."""
    return check_report(config, include_drafts=include_drafts)[0]


def check_report(
    config: Config, *, include_drafts: bool = True, when: When = When()
) -> tuple[list[Problem], tuple[Article, ...]]:
    """`check`'s problems, and the stories scheduled after `when` (soonest first)."""
    with cycle_collection_paused():
        built = load_site(config, include_drafts=include_drafts, when=when)
    problems = built.problems
    for cls in select_channels(config, None):
        try:
            where = config.source or "syndicate.yaml"
            settings = channel_settings(cls, config)
            problems.extend(Problem(where, line) for line in cls.settings_problems(settings))
        except SyndicateError as exc:  # lines already start with "syndicate.yaml: "
            problems.extend(Problem.parse(line) for line in str(exc).splitlines())
    return sorted(problems, key=lambda p: (str(p.path), p.line or 0)), built.site.scheduled


def make_channels(
    config: Config, names: list[str] | None, output_dir: Path, templates: Templates | None = None
) -> list[AnyChannel]:
    """The channels to run, configured; `templates` is an environment to share (a resident
    publisher keeps one while the templates stay the same, compiling each only once)."""
    templates = templates or Templates(config.root / "templates")
    channels = []
    for cls in select_channels(config, names):
        context = ChannelContext(
            config=config,
            templates=templates,
            output_dir=output_dir,
            state_dir=config.state_dir / cls.name,
        )
        channels.append(cls(channel_settings(cls, config), context))
    return channels


def copy_static(folder: Path, staged: StagedOutput) -> list[str]:
    """Files under static/ go to the output root unchanged, like Hugo's static folder.

    Dot-files and dot-folders (`.git/`, `.env`) are private and never published, nor is
    anything a symlink leads to outside the static folder. Returns one warning per thing
    skipped.
    """
    if not folder.is_dir():
        return []
    warnings: list[str] = []
    for rel, path in static_files(folder, warnings):
        staged.add(rel, path.read_bytes())
    return warnings


def static_files(folder: Path, warnings: list[str]) -> Iterator[tuple[str, Path]]:
    """(output path, file to read) of every publishable file below `folder`."""
    root = folder.resolve()
    pending = [""]
    while pending:
        below = pending.pop()
        with os.scandir(root / below) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            rel = f"{below}/{entry.name}" if below else entry.name
            shown = folder / rel
            if entry.name.startswith("."):
                warnings.append(f"{shown}: skipped: dot-files and dot-folders are not published")
            elif entry.is_symlink():
                target = _symlink_target(root, shown, warnings)
                if target is not None:
                    yield rel, target
            elif entry.is_dir(follow_symlinks=False):
                pending.append(rel)
            elif entry.is_file(follow_symlinks=False):
                yield rel, Path(entry.path)
            else:
                warnings.append(f"{shown}: skipped: not a regular file")


def _symlink_target(root: Path, link: Path, warnings: list[str]) -> Path | None:
    """A symlink's file, if it stays inside the static folder; else a warning and None."""
    target = link.resolve()
    if not target.is_relative_to(root) or target == root:
        warnings.append(f"{link}: skipped: a symlink leading out of the static folder")
    elif any(part.startswith(".") for part in target.relative_to(root).parts):
        warnings.append(f"{link}: skipped: a symlink to a dot-file")
    elif target.is_dir():
        warnings.append(f"{link}: skipped: a symlink to a folder (link the files instead)")
    elif not target.is_file():
        warnings.append(f"{link}: skipped: a symlink to nothing")
    else:
        return target
    return None


def publish(
    config: Config,
    *,
    channels: list[str] | None = None,
    output_dir: Path | None = None,
    include_drafts: bool = False,
    progress: Progress | None = None,
    force: bool = False,
    skip_if_unchanged: bool = True,
    sources: InputsStamp | None = None,
    resident: Resident | None = None,
    when: When = When(),
    strict: bool = False,
    changed: Collection[str] | None = None,
) -> PublishOutcome:
    """Publish; `force` ignores the build cache, `skip_if_unchanged` allows the no-op exit.

    `sources` is a `sources_fingerprint` the caller took already (one walk, not two).
    `resident` keeps the build cache in memory between publishes of a long-running
    process (`watch`, `serve`) instead of loading it from disk each time. `when` is
    the time the publish runs at (`--now`, `--future`); `strict` makes warnings errors.
    `changed`: the paths that changed since `resident`'s last publish, when a watcher
    knows them (then only those are stat'ed again); None: look at every file.
    """
    resident = resident or Resident()
    resident.walks.note(changed)
    # Asked before the walk below forgets what it listed (`Walks.knew`).
    plans_kept = articles_only(config, changed, resident.walks)
    progress = progress or Progress()
    when = when.resolved()  # one "now" for the whole publish
    assert when.now is not None
    out = config.output_folder(output_dir)
    sources = sources or sources_fingerprint(
        config, channels, out, include_drafts, when.future, resident.walks
    )
    inputs = inputs_fingerprint(config, out, sources)
    skip = skip_if_unchanged and not force
    nothing_to_do = PublishOutcome(0, 0, channels or [], WriteReport((), 0, ()), out, skipped=True)
    if skip and unchanged_since_last_publish(config, out, inputs, when.now):
        # Checked before importing any channel: an unchanged site costs a directory walk.
        return _nothing_to_do(nothing_to_do, config, inputs, resident)
    with publish_lock(config.cache_dir, lambda: progress.start("waiting for another publish", 1)):
        if skip and unchanged_since_last_publish(config, out, inputs, when.now):  # done already
            return _nothing_to_do(nothing_to_do, config, inputs, resident)
        if not plans_kept:  # the last plans may read what changed: plan anew
            resident.rendered = None
        with cycle_collection_paused(freeze=resident.save_when_idle):
            args = (config, channels, out, include_drafts, progress, when, strict)
            try:
                return _publish(*args, force, sources, resident)
            except CacheError as exc:  # staged output was thrown away; the live one is intact
                resident.forget()
                outcome = _publish(*args, True, sources, resident)
                outcome.warnings.append(f"{exc}; rebuilt without it")
                return outcome
            except BaseException:
                # What changed this time is not what the next publish is told changed.
                resident.rendered = None
                # The next publish loads the cache from disk: what it finds must be the
                # last good publish's, not an older one (it would only cost reading).
                _save_unsaved(resident)
                raise


def _nothing_to_do(
    outcome: PublishOutcome, config: Config, inputs: InputsStamp, resident: Resident
) -> PublishOutcome:
    """A publish skipped: nothing changed since the publish last recorded. The resident's
    last render stays good for the next edit only if that publish was its own (watch's
    check at start); another process's publish may have read what the render did not."""
    if inputs.fingerprint != resident.recorded:
        resident.rendered = None
    else:  # every stamp as the resident's own publish took them: its walks are current
        resident.walks.settled()
    outcome.next_change = next_change_recorded(config, outcome.output_dir)
    return outcome


def save_cache(resident: Resident) -> None:
    """Write a resident publisher's build cache if a publish left it unsaved: `watch`
    saves when it falls idle and when it stops, not after every edit (~0.3 s on 100,000
    articles). Losing it (SIGKILL) costs the next start some reading, never output: the
    cache is only a saving, and its output keys are checked against the live manifest."""
    if resident.unsaved is not None:
        with publish_lock(resident.unsaved[0]), cycle_collection_paused():
            _save_unsaved(resident)


def when_idle(resident: Resident) -> None:
    """What a resident publisher does while nobody saves: the cache goes to disk, the
    next edit's lookups are worked out now (which pages list which story: ~1 s on
    100,000 articles, the first edit's cost otherwise), and what the last publishes
    set aside is the garbage collector's again."""
    save_cache(resident)
    if resident.rendered is not None:
        with cycle_collection_paused():
            resident.rendered.prepare()
    gc.unfreeze()


def _save_unsaved(resident: Resident) -> None:
    if resident.unsaved is not None:
        cache_dir, key, cache = resident.unsaved
        resident.unsaved = None
        cache.save(cache_dir, key)


def articles_only(config: Config, changed: Collection[str] | None, walks: Walks) -> bool:
    """Whether only article files (or section indexes) changed: nothing else a channel's
    plan may read, such as a picture, a template or the config. A file that came and went
    since the last walk does not count: `sed -i` and editors that save through a
    temporary file leave one beside the article, gone before the publish reads."""
    if changed is None:
        return False
    content = os.path.join(os.path.realpath(config.content_dir), "")
    return all(
        (os.path.realpath(path).startswith(content) and path.endswith(ARTICLE_SUFFIXES))
        or (not os.path.lexists(path) and not walks.knew(path))
        for path in changed
    )


@contextmanager
def cycle_collection_paused(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection while publishing; reference counting still frees.

    A publish holds hundreds of thousands of long-lived objects (the site, the build
    cache), and every full collection walks them all: on 100,000 articles that was 40%
    of a publish after one edit (28 s -> 17 s without). Reading, building and rendering
    leave next to no cycles behind (measured: under 100 objects for thousands of
    articles), so nothing piles up; the collector is back on afterwards (`serve`).

    `freeze` (a resident publisher, between edits): what the publish left alive is set
    aside rather than walked by the first young collection after it (~0.08 s on
    100,000 articles); `save_cache` hands it back to the collector once `watch` is idle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def _publish(
    config: Config,
    channels: list[str] | None,
    out: Path,
    include_drafts: bool,
    progress: Progress,
    when: When,
    strict: bool,
    force: bool,
    sources: InputsStamp,
    resident: Resident,
) -> PublishOutcome:
    stamp = templates_stamp(config)
    adapters = make_channels(config, channels, out, resident.templates_for(config.root, stamp))
    names = [a.name for a in adapters]  # config errors before any reading
    key = secret_key(config.state_dir)  # outside the cache folder: see cachefile
    if force:
        resident.forget()
    cache = resident.cache or (BuildCache() if force else BuildCache.load(config.cache_dir, key))
    resident.cache = None  # until this publish has saved it, the copy on disk is the truth
    progress.start("reading", 1)
    built = load_site(
        config, include_drafts=include_drafts, cache=cache, when=when, resident=resident
    )
    if built.errors or (strict and built.warnings):  # warnings too, as check shows them
        raise ContentError([replace(p, severity="error") for p in built.problems] if strict
                           else built.problems)  # fmt: skip
    assert when.now is not None
    revisions = open_revisions(config)  # corrections: see delivery.corrections
    try:
        site, revised = apply_revisions(built.site, revisions, when.now, resident.corrected)
    except BaseException:
        revisions.close()
        raise
    staged = StagedOutput(out, config.cache_dir, verify=force, known=resident.manifest)
    resident.manifest = None  # until this publish's is live
    renderer = Renderer(site, staged, cache, stamp, resident.rendered)
    resident.rendered = None  # until this render is live
    try:
        warnings = Warnings(built.warnings, copy_static(config.static_dir, staged))
        renderer.run(adapters, progress.start, progress.advance)
        report = staged.commit()
        resident.manifest = staged.committed()
    except BaseException:
        staged.abort()
        revisions.close()
        raise
    with closing(revisions):  # recorded once live, and only for the real site
        if revised and out.resolve() == config.output_dir.resolve():
            resident.corrected.saved(revised, revisions.save(revised))
    if resident.save_when_idle:
        resident.unsaved = (config.cache_dir, key, cache)
    else:
        cache.save(config.cache_dir, key)
    resident.cache = cache
    resident.rendered = renderer.memory()
    counts = tally(config.cache_dir, out, report, staged.files, staged.previous, renderer.owners)
    published = PublishReport(site, report.written, report.removed, when.now)
    for adapter in adapters:
        adapter.after_publish(published)
    # After the manifest was rewritten, so the next run sees the same stamps.
    due = None if when.future else built.next_change
    recorded = inputs_fingerprint(config, out, sources)
    remember_publish(config, out, recorded, when.now, due)
    resident.recorded = recorded.fingerprint
    return PublishOutcome(
        articles=len(site.articles),
        drafts_skipped=built.drafts,
        channels=names,
        write=report,
        output_dir=out,
        reused=renderer.reused,
        counts=counts,
        warnings=warnings,
        next_change=due,
    )
