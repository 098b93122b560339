"""The `syndicate ingest` command (added to the CLI by `syndicate/cli.py`).

Imports only click here: the runner (httpx, lxml, the adapters) loads when the command
runs, so the rest of the CLI starts as fast as before.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from ..commands import State, err, pass_state, say, user_errors

if TYPE_CHECKING:
    from .runner import ActionKind, IngestReport

_VERBS: dict[ActionKind, tuple[str, str]] = {
    "create": ("created", "would create"),
    "update": ("updated", "would update"),
    "conflict": ("kept aside", "would keep aside"),
}


@click.command()
@click.option("--source", "names", multiple=True, help="Only this source (repeat for several).")
@click.option("--dry-run", is_flag=True, help="Show what would be created, updated or kept aside.")
@click.option("--force", is_flag=True, help="Fetch even sources whose interval has not passed.")
@click.option("--prune", is_flag=True, help="List imported files their source no longer lists.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_state
def ingest(
    state: State, names: tuple[str, ...], dry_run: bool, force: bool, prune: bool, as_json: bool
) -> None:
    """Import stories from the `sources:` of syndicate.yaml into content/."""
    if prune:
        _prune(state, as_json)
        return
    from .runner import ingest as run

    with user_errors(state):
        report = run(state.config, names=list(names) or None, dry_run=dry_run, force=force)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        _print(report, state.quiet)
    if report.failed:
        raise SystemExit(1)


def _print(report: IngestReport, quiet: bool) -> None:
    tense = 1 if report.dry_run else 0
    if not report.sources and not quiet:
        say("no sources to ingest (add `sources:` to syndicate.yaml)")
    for problem in report.problems:
        err.print(f"warning: {problem}", markup=False)
    for source in report.sources:
        if source.status == "error":
            err.print(f"error: {source.name}: {source.message}", markup=False)
        elif not quiet:
            counts = ", ".join(
                f"{source.count(kind)} {verbs[tense]}" for kind, verbs in _VERBS.items()
            )
            unchanged = source.count("unchanged")
            detail = f": {counts}, {unchanged} unchanged" if source.status == "ok" else ""
            say(f"{source.name}: {source.message}{detail}")
        for action in source.actions:
            if action.kind in _VERBS and not quiet:
                path = action.path + (".incoming" if action.kind == "conflict" else "")
                say(f"  {_VERBS[action.kind][tense]:16} {path}  {action.title}")
        for problem in source.problems:
            err.print(f"warning: {source.name}: {problem}", markup=False)


def _prune(state: State, as_json: bool) -> None:
    from .review import gone

    with user_errors(state):
        found = gone(state.config)
    if as_json:
        rows = [{"path": g.path, "source": g.source, "reason": g.reason} for g in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    content = state.config.file.content_dir
    for item in found:
        click.echo(f"{content}/{item.path}  ({item.source}: {item.reason})")
    if not found and not state.quiet:
        say("every imported file is still listed by its source")
