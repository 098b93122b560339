"""Publish pipeline: read -> validate all -> build the model -> run channels -> write.

Nothing is written unless every file validated and every channel rendered; the writer
then swaps the new output in atomically. A build cache makes the next publish redo only
what changed, and skip everything when no input changed at all.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .buildcache import BuildCache
from .builder import BuildResult, build_site
from .channel import Channel, ChannelContext, PublishReport, channel_settings, select_channels
from .config import Config
from .errors import ContentError, Problem, SyndicateError
from .locking import publish_lock
from .reader import read_content
from .render import Renderer
from .stamps import (
    InputsStamp,
    inputs_fingerprint,
    remember_publish,
    sources_fingerprint,
    templates_stamp,
    unchanged_since_last_publish,
)
from .templating import Templates
from .writer import StagedOutput, WriteReport

Step = Callable[[str, int], None]  # (description, total): announce a phase
Advance = Callable[[int], None]


@dataclass
class Progress:
    """Hooks the CLI uses to draw a progress bar; the defaults draw nothing."""

    start: Step = lambda description, total: None
    advance: Advance = lambda n: None


@dataclass
class PublishOutcome:
    articles: int
    drafts_skipped: int
    channels: list[str]
    write: WriteReport
    output_dir: Path
    reused: int = 0  # outputs carried over from the last publish without rendering
    skipped: bool = False  # no input changed: nothing was read or rendered
    warnings: list[str] = field(default_factory=list)


def load_site(
    config: Config, *, include_drafts: bool = False, cache: BuildCache | None = None
) -> BuildResult:
    """Read and build the whole site, collecting every problem instead of stopping."""
    cache = cache if cache is not None else BuildCache()
    read = read_content(config.content_dir, max_file_bytes=config.file.max_file_bytes, cache=cache)
    cache.forget_missing({rel for rel, _, _ in read.stamps})
    return build_site(
        read,
        config.site,
        permalink=config.file.permalink,
        include_drafts=include_drafts,
        render=cache.render,
    )


def check(config: Config, *, include_drafts: bool = True) -> list[Problem]:
    """Every problem in content and channel settings; an empty list means publishable."""
    with cycle_collection_paused():
        problems = load_site(config, include_drafts=include_drafts).problems
    for cls in select_channels(config, None):
        try:
            lines = cls.settings_problems(channel_settings(cls, config))
        except SyndicateError as exc:
            lines = str(exc).splitlines()
        problems.extend(Problem(config.source or "syndicate.yaml", line) for line in lines)
    return sorted(problems, key=lambda p: (str(p.path), p.line or 0))


def make_channels(config: Config, names: list[str] | None, output_dir: Path) -> list[Channel]:
    templates = Templates(config.root / "templates", config.cache_dir / "templates")
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


def copy_static(folder: Path, staged: StagedOutput) -> None:
    """Files under static/ go to the output root unchanged, like Hugo's static folder."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            staged.add(path.relative_to(folder).as_posix(), path.read_bytes())


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
) -> PublishOutcome:
    """Publish; `force` ignores the build cache, `skip_if_unchanged` allows the no-op exit.

    `sources` is a `sources_fingerprint` the caller took already (one walk, not two).
    """
    progress = progress or Progress()
    out = (output_dir or config.output_dir).resolve()
    sources = sources or sources_fingerprint(config, channels, out, include_drafts)
    inputs = inputs_fingerprint(config, out, sources)
    skip = skip_if_unchanged and not force
    nothing_to_do = PublishOutcome(0, 0, channels or [], WriteReport((), 0, ()), out, skipped=True)
    if skip and unchanged_since_last_publish(config, out, inputs):
        # Checked before importing any channel: an unchanged site costs a directory walk.
        return nothing_to_do
    with publish_lock(config.cache_dir, lambda: progress.start("waiting for another publish", 1)):
        if skip and unchanged_since_last_publish(config, out, inputs):  # the other one did it
            return nothing_to_do
        with cycle_collection_paused():
            return _publish(config, channels, out, include_drafts, progress, force, sources)


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while publishing; reference counting still frees.

    A publish holds hundreds of thousands of long-lived objects (the site, the build
    cache), and every full collection walks them all: on 100,000 articles that was 40%
    of a publish after one edit (28 s -> 17 s without). Reading, building and rendering
    leave next to no cycles behind (measured: under 100 objects for thousands of
    articles), so nothing piles up; the collector is back on afterwards (`serve`).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _publish(
    config: Config,
    channels: list[str] | None,
    out: Path,
    include_drafts: bool,
    progress: Progress,
    force: bool,
    sources: InputsStamp,
) -> PublishOutcome:
    adapters = make_channels(config, channels, out)  # config errors before any reading
    names = [a.name for a in adapters]
    cache = BuildCache() if force else BuildCache.load(config.cache_dir)
    progress.start("reading", 1)
    built = load_site(config, include_drafts=include_drafts, cache=cache)
    if built.problems:
        raise ContentError(built.problems)
    site = built.site
    staged = StagedOutput(out, config.cache_dir)
    renderer = Renderer(site, staged, cache, templates_stamp(config))
    try:
        copy_static(config.static_dir, staged)
        renderer.run(adapters, progress.start, progress.advance)
        report = staged.commit()
    except BaseException:
        staged.abort()
        raise
    cache.save(config.cache_dir)
    published = PublishReport(site, report.written, report.removed)
    for adapter in adapters:
        adapter.after_publish(published)
    # After the manifest was rewritten, so the next run sees the same stamps.
    remember_publish(config, out, inputs_fingerprint(config, out, sources))
    return PublishOutcome(
        articles=len(site.articles),
        drafts_skipped=built.drafts,
        channels=names,
        write=report,
        output_dir=out,
        reused=renderer.reused,
    )
