"""The `syndicate` command line: init, publish, check, new, channels, plus channels' own
commands.

The pipeline, rich's progress bar and the channels are imported only by the commands that
need them: `syndicate publish` on an unchanged site should cost a directory walk, not
seconds of imports.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import CONFIG_NAME, __version__
from .commands import (
    NOW_OPTION,
    State,
    err,
    fail,
    pass_state,
    print_error,
    report_problems,
    say,
    user_errors,
)
from .errors import ChannelError, ConfigError, Problem
from .ingest.cli import ingest as ingest_command

if TYPE_CHECKING:
    from .engine.daemon import PublishRequest
    from .model import Article
    from .outcome import PublishOutcome
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
        if command is not None:
            _accept_output_options(command)
        return command


def _set_state_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(State)
    if value and state is not None and param.name:
        setattr(state, param.name, True)


OUTPUT_OPTIONS = (
    (("-q", "--quiet"), "Print only errors."),
    (("-v", "--verbose"), "Say more (publish: every file written or removed)."),
    (("--debug",), "Show tracebacks for unexpected errors."),
)


def _accept_output_options(command: click.Command) -> None:
    """`syndicate publish -q` as well as `syndicate -q publish`, for every command,
    channels' own and their subcommands included (as git and hugo accept them)."""
    names = {param.name for param in command.params}
    taken = {opt for param in command.params for opt in param.opts}
    for decls, help_text in OUTPUT_OPTIONS:
        name = decls[-1].lstrip("-")
        free = [decl for decl in decls if decl not in taken]  # a command's own -v wins
        if name not in names and free:
            command.params.append(
                click.Option(
                    [*free, name],
                    is_flag=True,
                    expose_value=False,
                    callback=_set_state_flag,
                    help=help_text,
                )
            )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_output_options(sub)


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
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, quiet: bool, verbose: bool, debug: bool) -> None:
    """Publish one newsroom's articles to feeds, mobile HTML, newsletters, print and partners."""
    ctx.obj = State(config_path, quiet, debug, verbose)


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

        def advance(n: float) -> None:
            bar.advance(task[0], n)

        yield PipelineProgress(start, advance)


def _split_channels(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


STRICT_OPTION = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


@cli.command()
@click.option("--channels", help="Comma-separated channels to run (default: from config).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output folder.")
@click.option("--drafts", is_flag=True, help="Publish drafts too (for previews).")
@click.option("--future", is_flag=True, help="Publish scheduled stories too (for previews).")
@click.option("--force", is_flag=True, help="Ignore the build cache and render everything.")
@click.option(
    "--resident/--no-resident",
    default=None,
    help="Hand the publish to a resident publisher that keeps the site in memory for the "
    "next one, starting it if none runs (default: when publish.resident_minutes is set).",
)
@NOW_OPTION
@STRICT_OPTION
@pass_state
def publish(
    state: State,
    channels: str | None,
    out: Path | None,
    drafts: bool,
    future: bool,
    force: bool,
    resident: bool | None,
    now: datetime,
    strict: bool,
) -> None:
    """Build every enabled channel and put what changed live (files not ours are kept)."""
    started = time.perf_counter()
    names = _split_channels(channels)
    if resident is not False:
        from .engine.daemon import PublishRequest

        request = PublishRequest(
            channels=names,
            out=str(out.resolve()) if out else None,
            drafts=drafts,
            future=future,
            force=force,
            now=now.isoformat(),
            strict=strict,
            quiet=state.quiet,
            explicit=bool(resident),
        )
        with user_errors(state):
            outcome = _through_resident(state, request)
        if outcome is not None:
            _published(state, outcome, started)
            return
    from .engine.stamps import (
        inputs_fingerprint,
        sources_fingerprint,
        unchanged_since_last_publish,
    )

    with user_errors(state):
        config = state.config
        target = config.output_folder(out)
        sources = sources_fingerprint(config, names, target, drafts, future)
        inputs = inputs_fingerprint(config, target, sources)
        skip = not force and unchanged_since_last_publish(config, target, inputs, now)
    if skip:
        if not state.quiet:
            elapsed = time.perf_counter() - started
            say(f"nothing changed since the last publish; {target} left as it is ({elapsed:.2f}s)")
        return
    from .pipeline import When, cycle_collection_paused
    from .pipeline import publish as publish_site

    # Frozen at the end: the collector would otherwise walk every object the publish
    # made once it is done (0.2 s of a one-edit publish at 10,000 articles), to free
    # the handful of cycles a publish leaves, just before the process ends.
    with user_errors(state), progress_bar(state) as progress, cycle_collection_paused(True):
        outcome = publish_site(
            config,
            channels=names,
            output_dir=target,
            include_drafts=drafts,
            progress=progress,
            force=force,
            skip_if_unchanged=False,  # just checked above
            sources=sources,
            when=When(now, future),
            strict=strict,
        )
    _published(state, outcome, started)


def _through_resident(state: State, request: PublishRequest) -> PublishOutcome | None:
    """The publish done by the site's resident publisher, started first if the config
    or `--resident` asks for one; None: publish here. A running one is asked before
    the config is even read (it reads it), so that asking costs no more than this."""
    from .engine.daemon import (
        DEFAULT_MINUTES,
        ResidentStopped,
        ResidentUnavailable,
        ask_resident,
        start_resident,
    )

    try:
        try:
            return ask_resident(state.config_path, request)
        except ResidentStopped as exc:  # it holds the socket: no other can start
            if not state.quiet:
                err.print(f"{exc}; publishing here", markup=False, highlight=False)
            return None
        except ResidentUnavailable:
            pass
        minutes = state.config.file.publish.resident_minutes
        if not (minutes or request.explicit):
            return None
        start_resident(state.config, minutes or DEFAULT_MINUTES)
        if not state.quiet:
            err.print(
                "started a resident publisher: it publishes now, then keeps the site in "
                f"memory for the next publish ({minutes or DEFAULT_MINUTES:g} minutes idle)",
                markup=False,
                highlight=False,
            )
        return ask_resident(state.config_path, request)
    except ResidentUnavailable:
        return None
    except KeyboardInterrupt:  # the publish under way is not ours to stop
        fail("interrupted; the resident publisher finishes the publish it started", 130)


def _published(state: State, outcome: PublishOutcome, started: float) -> None:
    """What a publish did, as `syndicate publish` prints it."""
    if state.quiet:
        return
    by = f" by {outcome.served_by}" if outcome.served_by else ""
    if outcome.skipped:
        elapsed = time.perf_counter() - started
        say(
            f"nothing changed since the last publish; {outcome.output_dir} left as it is "
            f"({elapsed:.2f}s{by})"
        )
        return
    from .summary import format_table

    for warning in outcome.warnings:
        print_error(warning, "warning")
    elapsed = time.perf_counter() - started
    w = outcome.write
    say(
        f"published {outcome.articles} articles ({outcome.drafts_skipped} drafts skipped) "
        f"via {', '.join(outcome.channels) or 'no channels'} to {outcome.output_dir}: "
        f"{len(w.written)} written, {w.unchanged} unchanged, {len(w.removed)} removed, "
        f"{outcome.reused} pieces reused from cache, in {elapsed:.2f}s{by}"
    )
    say(format_table(outcome.by_channel))
    if outcome.next_change is not None:
        say(f"next scheduled story goes out at {outcome.next_change.isoformat()}")
    if state.verbose:
        for rel in w.written:
            say(f"written  {rel}")
        for rel in w.removed:
            say(f"removed  {rel}")


@cli.command()
@click.option("--channels", help="Comma-separated channels to run (default: from config).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Output folder.")
@click.option("--drafts", is_flag=True, help="Publish drafts too (for previews).")
@click.option(
    "--ingest",
    "ingest_seconds",
    type=click.FloatRange(min=1),
    help="Also run `ingest` every this many seconds (each source keeps its own interval).",
)
@pass_state
def watch(
    state: State,
    channels: str | None,
    out: Path | None,
    drafts: bool,
    ingest_seconds: float | None,
) -> None:
    """Publish now, then every saved change, until stopped (the process to run all day)."""
    import signal
    import threading

    from .engine.watch import ResidentPublisher

    with user_errors(state):
        state.config  # noqa: B018 - a missing or invalid config stops here, not in the loop
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the publish under way
    publisher = ResidentPublisher(
        state.config_path,
        channels=_split_channels(channels),
        output_dir=out.resolve() if out else None,
        include_drafts=drafts,
        report=(lambda line: None) if state.quiet else _say_now,
        report_error=_error_now,
        answers_publishes=True,
    )
    say(f"watching {state.config.root} (Ctrl-C or SIGTERM to stop)")
    if ingest_seconds is not None:  # its files are edits like any other: watch publishes them
        from .ingest.runner import ingest_every

        report = (lambda line: None) if state.quiet else _say_now
        args = (state.config_path, ingest_seconds, stop, report, _error_now)
        threading.Thread(target=ingest_every, args=args, name="ingest", daemon=True).start()
    # Ctrl-C abandons a publish under way (its staging is thrown away): the live one stands.
    with user_errors(state), contextlib.suppress(KeyboardInterrupt):
        publisher.run(stop)
    say("stopped")


def _say_now(line: str) -> None:
    say(line)
    sys.stdout.flush()


def _error_now(line: str) -> None:
    severity, _, text = line.partition(": ")
    if severity in ("error", "warning"):
        print_error(text, severity)
    else:
        err.print(line, markup=False, highlight=False)


@cli.command()
@click.option("--no-drafts", is_flag=True, help="Skip drafts (they are checked by default).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print problems as a JSON list of {file, line, key, message, severity} on stdout.",
)
@NOW_OPTION
@STRICT_OPTION
@pass_state
def check(state: State, no_drafts: bool, as_json: bool, now: datetime, strict: bool) -> None:
    """Validate config and every content file; list every problem and every scheduled
    story; exit 1 if any error (or, with --strict, any warning)."""
    from .ingest.review import conflict_warnings
    from .pipeline import When, check_report

    scheduled: tuple[Article, ...] = ()
    with user_errors(state):
        try:
            problems, scheduled = check_report(
                state.config, include_drafts=not no_drafts, when=When(now)
            )
            problems += conflict_warnings(state.config)  # stories changed here and at the source
        except ConfigError as exc:  # a problem like any other, in the same format
            problems = [Problem.parse(line) for line in str(exc).splitlines()]
    failed = any(p.severity == "error" or strict for p in problems)
    if as_json:
        click.echo(json.dumps([p.as_json() for p in problems], ensure_ascii=False, indent=1))
        sys.exit(1 if failed else 0)
    if problems:
        report_problems(problems)
    if not state.quiet:
        for article in scheduled:
            say(f"scheduled {article.published.isoformat()}  {article.source_file}")
    if failed:
        sys.exit(1)
    if not state.quiet and not problems:
        say("no problems found")


@cli.command()
@click.argument("folder", default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option("--title", help="Site title (default: from the folder name).")
@click.option("--base-url", default="https://example.com/", show_default=True,
              help="Where the site will be served.")  # fmt: skip
@click.option("--language", default="en", show_default=True, help="BCP 47 language tag.")
@click.option("--timezone", default="UTC", show_default=True,
              help="IANA time zone for dates written without an offset.")  # fmt: skip
@pass_state
def init(
    state: State, folder: Path, title: str | None, base_url: str, language: str, timezone: str
) -> None:
    """Start a site in FOLDER (default: here): config, home, a section, a first article."""
    from .scaffold import init_site

    name = folder.resolve().name
    with user_errors(state):
        written = init_site(
            folder,
            title=title or name.replace("-", " ").replace("_", " ").title() or "News",
            base_url=base_url,
            language=language,
            timezone=timezone,
        )
    if state.quiet:
        return
    say(f"created a site in {folder}:")
    for path in written:
        say(f"  {path}{'/' if path.is_dir() else ''}")
    program = "syndicate" if shutil.which("syndicate") else f"{sys.executable} -m syndicate"
    steps = [f"cd {folder}"] if folder.resolve() != Path.cwd() else []
    steps += [
        f"{program} check",
        f"{program} publish      # writes public/",
        f"{program} serve        # preview on http://127.0.0.1:8000/",
        f'{program} new news "A headline"',
    ]
    say("next:\n" + "\n".join(f"  {step}" for step in steps))


@cli.command()
@click.argument("section")
@click.argument("title")
@click.option("--slug", help="URL slug (default: from the title, transliterated to ASCII).")
@click.option("--author", "authors", multiple=True, help="Byline; repeat for several.")
@click.option("--tag", "tags", multiple=True, help="Tag; repeat for several.")
@click.option("--ready", is_flag=True, help="Not a draft: publish it on the next run.")
@click.option("--language", help="BCP 47 tag, e.g. zh-Hans (default: the site's language).")
@pass_state
def new(
    state: State,
    section: str,
    title: str,
    slug: str | None,
    authors: tuple[str, ...],
    tags: tuple[str, ...],
    ready: bool,
    language: str | None,
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
            language=language,
        )
        chosen = language or f"{state.config.site.language}, the site's; change with --language"
    if not state.quiet:
        say(f"created {path} (language: {chosen})")
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


@cli.group()
def resident() -> None:
    """The resident publisher `publish --resident` starts (publish.resident_minutes)."""


@resident.command(name="status")
@pass_state
def resident_status(state: State) -> None:
    """Say which process answers this site's publishes, if any."""
    from .engine.daemon import serving

    found = serving(state.config_path)
    if found is None:
        say("no resident publisher runs for this site; publishes run in their own process")
    else:
        say(f"{found[1]} (pid {found[0]}) answers this site's publishes")


@resident.command(name="stop")
@pass_state
def resident_stop(state: State) -> None:
    """Stop the site's resident publisher: a publish under way finishes, the cache is
    saved. (A running `syndicate watch` is stopped where it was started.)"""
    import os
    import signal

    from .engine.daemon import serving

    found = serving(state.config_path)
    if found is None:
        say("no resident publisher runs for this site")
        return
    pid, what = found
    if what != "resident publisher":
        fail(f"{what} (pid {pid}) answers this site's publishes: stop it where it runs")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 120
    while serving(state.config_path) == found and time.monotonic() < deadline:
        time.sleep(0.05)
    say(f"stopped the resident publisher (pid {pid})")


cli.add_command(ingest_command)


def main() -> None:
    cli(prog_name="syndicate")


def _add_state_commands() -> None:
    from .delivery.cli import state_group  # click only: psycopg is imported on use

    cli.add_command(state_group)


_add_state_commands()
