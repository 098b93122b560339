"""What every CLI command shares, including channels' own commands.

A channel adds commands with `Channel.commands()`; they get the loaded site config with
`@pass_state` and report failures with `user_errors`, exactly like the core commands.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .clock import parse_now, utc_now
from .errors import ContentError, Problem, SyndicateError

if TYPE_CHECKING:
    from rich.console import Console

    from .config import Config


class LazyConsole:
    """A rich Console made on first use: importing rich costs ~80 ms, and a quiet
    publish with nothing to say never needs it."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)
out = LazyConsole(highlight=False, soft_wrap=True)


class State:
    """Options shared by every command (set on the group)."""

    def __init__(self, config_path: Path, quiet: bool, debug: bool, verbose: bool = False) -> None:
        self.config_path = config_path
        self.quiet = quiet
        self.debug = debug
        self.verbose = verbose
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:  # imported here: a publish handed on never needs it
            from .config import load_config

            self._config = load_config(self.config_path)
        return self._config


pass_state = click.make_pass_decorator(State)


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return utc_now()
    try:
        return parse_now(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


# `--now TIME` on every command that decides what is live (publish, check, newsletter).
NOW_OPTION = click.option(
    "--now",
    callback=_parse_now,
    metavar="TIME",
    help="Run as if it were TIME (ISO 8601 with offset): stories scheduled until then are out.",
)


def print_error(line: str, severity: str = "error") -> None:
    """The one error format: `error: <file>:<line>: <key>: <message>`, on stderr."""
    from rich.markup import escape

    style = "bold red" if severity == "error" else "bold yellow"
    err.print(f"[{style}]{severity}:[/] {escape(line)}", markup=True, highlight=False)


def fail(message: str, code: int = 1) -> NoReturn:
    for line in message.splitlines():
        print_error(line)
    sys.exit(code)


def report_problems(problems: list[Problem], outcome: str = "") -> None:
    """Every problem in the one error format, then how many (check and publish alike)."""
    for problem in sorted(problems, key=lambda p: (str(p.path), p.line or 0)):
        print_error(str(problem), problem.severity)
    err.print(f"{len(problems)} problem(s) found{outcome}", markup=False, highlight=False)


@contextmanager
def user_errors(state: State) -> Iterator[None]:
    """Turn expected failures into one readable line each; tracebacks only with --debug."""
    try:
        yield
    except ContentError as exc:
        report_problems(exc.problems, "; nothing was published")
        sys.exit(1)
    except SyndicateError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the previous output is unchanged", 130)
    except Exception as exc:
        if state.debug:
            traceback.print_exc()
        fail(f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)", 2)


def say(message: str) -> None:
    """Print a result line on stdout (no rich markup: article titles may contain brackets)."""
    out.print(message, markup=False)
