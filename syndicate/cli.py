"""The `syndicate` command line: publish, check, new, channels, plus channels' own commands.

The pipeline, rich's progress bar and the channels are imported only by the commands that
need them: `syndicate publish` on an unchanged site should cost a directory walk, not
seconds of imports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .commands import State, err, fail, pass_state, say, user_errors
from .config import CONFIG_NAME
from .errors import ChannelError
from .stamps import inputs_fingerprint, sources_fingerprint, unchanged_since_last_publish

if TYPE_CHECKING:
    from .pipeline import Progress as PipelineProgress


class ChannelAwareGroup(click.Group):
    """Adds installed channels' own commands (push, newsletter, print, serve) on first use."""

    _loaded = False

    def _load(self) -> None:
        """Import installed channels and add their commands, once."""
        if not self._loaded:
            self._loaded = True
            _add_channel_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # Core commands need no channel imports: keeps `syndicate publish` startup short.
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load()
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=ChannelAwareGroup)
@click.version_option(__version__, prog_name="syndicate")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=CONFIG_NAME,
    show_default=True,
    help="Site configuration file.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, quiet: bool, debug: bool) -> None:
    """Publish one newsroom's articles to feeds, mobile HTML, newsletters, print and partners."""
    ctx.obj = State(config_path, quiet, debug)


@contextmanager
def progress_bar(state: State) -> Iterator[PipelineProgress]:
    from .pipeline import Progress as PipelineProgress

    if state.quiet or not err.is_terminal:
        yield PipelineProgress()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err.console, transient=True) as bar:
        task: list[Any] = []

        def start(description: str, total: int) -> None:
            if task:
                bar.update(task[0], completed=bar.tasks[0].total)
                bar.remove_task(task.pop())
            task.append(bar.add_task(description, total=total))

        def advance(n: int) -> None:
            bar.advance(task[0], n)

        yield PipelineProgress(start, advance)


def _split_channels(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


@cli.command()
@click.option("--channels", help="Comma-separated channels to run (default: from config).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output folder.")
@click.option("--drafts", is_flag=True, help="Publish drafts too (for previews).")
@click.option("--force", is_flag=True, help="Ignore the build cache and render everything.")
@pass_state
def publish(
    state: State, channels: str | None, out: Path | None, drafts: bool, force: bool
) -> None:
    """Build every enabled channel and swap the new output in atomically."""
    started = time.perf_counter()
    names = _split_channels(channels)
    with user_errors(state):
        config = state.config
        target = (out or config.output_dir).resolve()
        sources = sources_fingerprint(config, names, target, drafts)
        inputs = inputs_fingerprint(config, target, sources)
        skip = not force and unchanged_since_last_publish(config, target, inputs)
    if skip:
        if not state.quiet:
            elapsed = time.perf_counter() - started
            say(f"nothing changed since the last publish; {target} left as it is ({elapsed:.2f}s)")
        return
    from .pipeline import publish as publish_site

    with user_errors(state), progress_bar(state) as progress:
        outcome = publish_site(
            config,
            channels=names,
            output_dir=target,
            include_drafts=drafts,
            progress=progress,
            force=force,
            skip_if_unchanged=False,  # just checked above
            sources=sources,
        )
    if state.quiet:
        return
    elapsed = time.perf_counter() - started
    w = outcome.write
    say(
        f"published {outcome.articles} articles ({outcome.drafts_skipped} drafts skipped) "
        f"via {', '.join(outcome.channels) or 'no channels'} to {outcome.output_dir}: "
        f"{len(w.written)} written, {w.unchanged} unchanged, {len(w.removed)} removed, "
        f"{outcome.reused} pieces reused from cache, in {elapsed:.2f}s"
    )


@cli.command()
@click.option("--no-drafts", is_flag=True, help="Skip drafts (they are checked by default).")
@pass_state
def check(state: State, no_drafts: bool) -> None:
    """Validate config and every content file; list every problem; exit 1 if any."""
    from .pipeline import check as check_site

    with user_errors(state):
        problems = check_site(state.config, include_drafts=not no_drafts)
    if problems:
        for problem in problems:
            err.print(str(problem), markup=False)
        fail(f"{len(problems)} problem(s) found")
    if not state.quiet:
        say("no problems found")


@cli.command()
@click.argument("section")
@click.argument("title")
@click.option("--slug", help="URL slug (default: from the title, transliterated to ASCII).")
@click.option("--author", "authors", multiple=True, help="Byline; repeat for several.")
@click.option("--tag", "tags", multiple=True, help="Tag; repeat for several.")
@click.option("--ready", is_flag=True, help="Not a draft: publish it on the next run.")
@pass_state
def new(
    state: State,
    section: str,
    title: str,
    slug: str | None,
    authors: tuple[str, ...],
    tags: tuple[str, ...],
    ready: bool,
) -> None:
    """Scaffold an article in SECTION (e.g. finance/markets) with correct front matter."""
    from .scaffold import new_article

    with user_errors(state):
        path = new_article(
            state.config,
            section,
            title,
            slug=slug,
            authors=list(authors),
            tags=list(tags),
            draft=not ready,
        )
    if not state.quiet:
        say(f"created {path}")
    else:
        click.echo(str(path))


@cli.command(name="channels")
@pass_state
def list_channels(state: State) -> None:
    """List installed channels (entry point group `syndicate.channels`)."""
    from .channel import installed_channels

    for name, installed in installed_channels().items():
        try:
            cls = installed.load()
        except ChannelError as exc:
            say(f"{name:12} BROKEN  {exc}")
            continue
        default = "on " if cls.enabled_by_default else "off"
        say(f"{name:12} {default}  {cls.summary}  ({installed.entry_point.value})")


def _add_channel_commands(group: click.Group) -> None:
    from .channel import installed_channels

    for name, installed in installed_channels().items():
        try:
            commands = list(installed.load().commands())
        except Exception as exc:  # a broken channel package must not break the whole CLI
            err.print(f"warning: channel {name!r} commands unavailable: {exc}", markup=False)
            continue
        for command in commands:
            if command.name in group.commands:
                err.print(
                    f"warning: channel {name!r} command {command.name!r} clashes with "
                    "an existing command; skipped",
                    markup=False,
                )
                continue
            group.add_command(command)


def main() -> None:
    cli(prog_name="syndicate")


def _add_state_commands() -> None:
    from .delivery.cli import state_group  # click only: psycopg is imported on use

    cli.add_command(state_group)


_add_state_commands()
