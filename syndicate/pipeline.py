"""Publish pipeline: read -> validate all -> build the model -> run channels -> write.

Nothing is written unless every file validated and every channel rendered; the writer
then swaps the new output in atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .builder import BuildResult, build_site
from .channel import (
    Channel,
    ChannelContext,
    OutputFile,
    PublishReport,
    channel_settings,
    select_channels,
)
from .config import Config
from .errors import ChannelError, ContentError, Problem, SyndicateError
from .reader import read_content
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
    warnings: list[str] = field(default_factory=list)


def load_site(config: Config, *, include_drafts: bool = False) -> BuildResult:
    """Read and build the whole site, collecting every problem instead of stopping."""
    read = read_content(config.content_dir, max_file_bytes=config.file.max_file_bytes)
    return build_site(
        read, config.site, permalink=config.file.permalink, include_drafts=include_drafts
    )


def check(config: Config, *, include_drafts: bool = True) -> list[Problem]:
    """Every problem in content and channel settings; an empty list means publishable."""
    problems = load_site(config, include_drafts=include_drafts).problems
    for cls in select_channels(config, None):
        try:
            channel_settings(cls, config)
        except SyndicateError as exc:
            problems.extend(
                Problem(config.source or "syndicate.yaml", line) for line in str(exc).splitlines()
            )
    return sorted(problems, key=lambda p: (str(p.path), p.line or 0))


def make_channels(config: Config, names: list[str] | None, output_dir: Path) -> list[Channel]:
    templates = Templates(config.root / "templates")
    channels = []
    for cls in select_channels(config, names):
        context = ChannelContext(
            config=config,
            templates=templates,
            output_dir=output_dir,
            state_dir=config.cache_dir / cls.name,
        )
        channels.append(cls(channel_settings(cls, config), context))
    return channels


def publish(
    config: Config,
    *,
    channels: list[str] | None = None,
    output_dir: Path | None = None,
    include_drafts: bool = False,
    progress: Progress | None = None,
) -> PublishOutcome:
    progress = progress or Progress()
    out = (output_dir or config.output_dir).resolve()
    adapters = make_channels(config, channels, out)  # config errors before any reading
    built = load_site(config, include_drafts=include_drafts)
    if built.problems:
        raise ContentError(built.problems)
    site = built.site
    staged = StagedOutput(out, config.cache_dir)
    try:
        for adapter in adapters:
            progress.start(f"{adapter.name}: articles", len(site.articles))
            for article in site.articles:
                staged.add_all(_files(adapter, adapter.render_article(article, site)))
                progress.advance(1)
            progress.start(f"{adapter.name}: indexes", 1)
            staged.add_all(_files(adapter, adapter.render_site(site)))
            progress.advance(1)
        report = staged.commit()
    except BaseException:
        staged.abort()
        raise
    published = PublishReport(site, report.written, report.removed)
    for adapter in adapters:
        adapter.after_publish(published)
    return PublishOutcome(
        articles=len(site.articles),
        drafts_skipped=built.drafts,
        channels=[a.name for a in adapters],
        write=report,
        output_dir=out,
    )


def _files(adapter: Channel, files: Iterable[OutputFile]) -> Iterable[tuple[str, bytes]]:
    try:
        for item in files:
            yield item.path, item.content
    except SyndicateError:
        raise
    except Exception as exc:
        raise ChannelError(f"channel {adapter.name!r} failed: {type(exc).__name__}: {exc}") from exc
