"""The resident publisher: publish every saved change, for as long as the process runs.

`syndicate watch` is the process a newsroom runs all day (under systemd): it publishes
once, then waits for the content, static files, templates or config to change and
publishes again through the same pipeline as `syndicate publish` (same staged writer,
same atomic commit, same `after_publish` hooks), with the build cache kept in memory.
A broken article or config is reported and the last good output stays live; the next
good save publishes again. `syndicate serve` runs the same loop into a preview folder.

Time moves on by itself too: when the last publish left a story scheduled, the loop
publishes again as of that story's time (not a second before), as if it were edited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import watchfiles

from ..clock import Clock, utc_now
from ..config import Config, load_config
from ..errors import ContentError, SyndicateError, Warnings
from .cache import Resident
from .daemon import PublishRequest
from .watch_answers import Answers, LastPublish

Report = Callable[[str], None]
# How long the watcher waits after the first event of a burst for more (an editor's
# save is often several writes): short enough that an edit goes live at once.
DEBOUNCE_MS = 50
WAKE_MS = 1000  # how often the loop wakes without events (to notice config saves)


def watched_folders(config: Config) -> list[Path]:
    """Content, static files and the site's templates: what a publish reads besides the
    config (whose folder usually also holds the output, so it is polled instead)."""
    folders = [config.content_dir, config.static_dir, config.root / "templates"]
    return [folder for folder in folders if folder.is_dir()]


def relevant(config: Config, path: str) -> bool:
    """Whether a changed path can change the output: every file a publish reads (articles,
    section indexes, pictures and files beside them, static files, templates), not
    editors' swap and backup files. A picture saved beside its article counts: pages
    show its resized copies, and the link check looks for it."""
    name = Path(path).name
    # vim's 4913 probe, emacs' .#locks, gedit's .goutputstream-*
    editors = name.startswith(".") or name.endswith(("~", ".swp", ".swx", ".tmp"))
    return not editors and name != "4913"


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def changes(
    config: Config,
    config_path: Path,
    stop: threading.Event,
    wake: Callable[[], bool] = lambda: False,
    idle: Callable[[], None] = lambda: None,
    answers: Answers | None = None,
) -> Iterator[list[str] | None]:
    """The changed paths each time something a publish reads changes (sorted, as the
    operating system gave them), or None when `wake()` says a scheduled time has come
    (asked at least every second).

    The first batch comes once the watcher is running, possibly empty: whatever was
    saved between the publish before it and then is caught by publishing once more.
    `answers`: publishes asked of this watch, told when each batch has been handled.
    """
    last = _stamp(config_path)
    folders = watched_folders(config)
    markers = [answers.markers.folder] if answers is not None else []
    first = True
    for batch in watchfiles.watch(
        *folders,
        *markers,
        stop_event=stop,
        debounce=DEBOUNCE_MS,
        step=10,
        rust_timeout=WAKE_MS,
        yield_on_timeout=True,
        raise_interrupt=True,  # Ctrl-C reaches the caller, which says it stopped
    ):
        paths = [path for _, path in batch]
        if answers is not None:
            paths = answers.take_markers(paths)
        changed = sorted({path for path in paths if relevant(config, path)})
        now = _stamp(config_path)
        if now != last:  # polled: editors save it by renaming a new file over it
            last = now
            changed.append(str(config_path))
        appeared = [str(f) for f in watched_folders(config) if f not in folders]
        if appeared:  # a site's first templates/ (or static/): watch it from now on
            folders.extend(Path(f) for f in appeared)
            changed.extend(appeared)
        if changed or first:
            first = False
            yield changed
        elif wake():
            yield None
        elif answers is not None and answers.waiting():
            pass  # a publish asked for is answered first; idle work can wait a second
        else:
            idle()  # a second without a save
        if answers is not None:
            answers.handled()


FIRST_WARNINGS = 20  # shown when which files changed is not known (the first publish)


def warnings_to_show(config: Config, warnings: Warnings, changed: list[str] | None) -> list[str]:
    """The warnings about the files just saved: an archive with thousands of old broken
    links would otherwise print them all again on every save, burying the one that
    matters (and printing them cost half a publish at 10,000 articles). When the saved
    files are not known, the first few."""
    if changed is None:
        return warnings[:FIRST_WARNINGS]
    names: set[str] = set()
    content = config.content_dir.resolve()
    for path in changed:
        full = Path(path).resolve()
        names.update((path, str(full), _shown(config, path)))
        if full.is_relative_to(content):
            names.add(full.relative_to(content).as_posix())
    return warnings.about(names.__contains__)


def _shown(config: Config, path: str) -> str:
    try:
        return Path(path).relative_to(config.root).as_posix()
    except ValueError:
        return path


@dataclass
class ResidentPublisher:
    """Publishes a site again and again, keeping what the last publish learned in memory."""

    config_path: Path
    channels: list[str] | None = None
    output_dir: Path | None = None
    include_drafts: bool = False
    report: Report = print
    report_error: Report = print
    resident: Resident = field(default_factory=Resident)
    config: Config | None = None
    include_future: bool = False  # serve --future: scheduled stories shown as if live
    clock: Clock = utc_now
    # When time alone changes the output next (the last publish's soonest scheduled story).
    next_change: datetime | None = None
    # Told after every publish: whether the output changed, and its problems if it failed
    # (how serve's pages know to reload).
    finished: Callable[[bool, list[str]], None] = lambda changed, problems: None
    # Answer `syndicate publish` of the same output while running (watch; not serve).
    answers_publishes: bool = False
    last: LastPublish = field(default_factory=LastPublish)

    def publish(
        self,
        why: str = "",
        *,
        quiet_if_unchanged: bool = False,
        at: datetime | None = None,
        changed: list[str] | None = None,
        warm: bool = False,
    ) -> bool:
        """One publish (as of `at`, else the clock); problems are reported and the last
        good output stays live. `changed`: the paths saved since the last publish, when
        the watcher knows them (None: look at every file). `warm`: go through the whole
        site even if nothing changed, so the first edit finds it in memory."""
        from ..pipeline import When, publish

        started = time.perf_counter()
        try:
            self.config = self._config(changed)
            outcome = publish(
                self.config,
                channels=self.channels,
                output_dir=self.output_dir,
                include_drafts=self.include_drafts,
                resident=self.resident,
                when=When(at or self.clock(), self.include_future),
                changed=changed,
                skip_if_unchanged=not warm,
            )
        except ContentError as exc:
            self.last.record(None, exc)
            for problem in exc.problems:
                self.report_error(f"{problem.severity}: {problem}")
            self.report_error(f"{len(exc.problems)} problem(s): the last good output stays live")
            self.finished(False, [str(problem) for problem in exc.problems])
            return False
        except SyndicateError as exc:
            self.last.record(None, exc)
            for line in str(exc).splitlines():
                self.report_error(f"error: {line}")
            self.report_error("the last good output stays live")
            self.finished(False, str(exc).splitlines())
            return False
        self.next_change = outcome.next_change
        self.last.record(outcome, None)
        w = outcome.write
        self.finished(bool(w.written or w.removed), [])
        shown = warnings_to_show(self.config, outcome.warnings, changed)
        for warning in shown:
            self.report_error(f"warning: {warning}")
        if len(shown) < len(outcome.warnings):
            rest = len(outcome.warnings) - len(shown)
            self.report_error(
                f"{rest:,} more warning(s) in other files (`syndicate check` lists all)"
            )
        elapsed = time.perf_counter() - started
        # A warm-up that wrote nothing had nothing to publish, whatever it went through.
        unchanged = outcome.skipped or (warm and not (w.written or w.removed))
        if unchanged and quiet_if_unchanged:
            return True
        if unchanged:
            self.report(f"{why or 'checked'}: nothing to publish ({elapsed:.2f}s)")
        else:
            self.report(
                f"{why or 'published'}: {len(w.written)} written, {len(w.removed)} removed, "
                f"{w.unchanged} unchanged in {elapsed:.2f}s"
            )
        return True

    def _config(self, changed: list[str] | None) -> Config:
        """The config as saved now. While it is broken, the paths saved reach no publish:
        the walks are told of them here, and the next publish plans anew, so that what
        was saved meanwhile is published once the config is mended."""
        try:
            return load_config(self.config_path)
        except SyndicateError:
            self.resident.walks.note(changed)
            self.resident.rendered = None
            raise

    def due_soon(self) -> bool:
        """Whether the next scheduled story goes out before the loop wakes again."""
        due = self.next_change
        return due is not None and (due - self.clock()).total_seconds() * 1000 < WAKE_MS

    def publish_scheduled(self, stop: threading.Event) -> None:
        """Wait for the scheduled time to the moment, then publish as of that time."""
        due = self.next_change
        assert due is not None
        if stop.wait(max(0.0, (due - self.clock()).total_seconds())):
            return
        self.publish(f"scheduled for {due.isoformat()}", at=max(due, self.clock()), changed=[])

    def run(self, stop: threading.Event) -> None:
        """Publish now, then after every change and at every scheduled time until `stop`
        is set. The build cache is saved when a second passes without a save, and at the
        end, not after every publish (see `pipeline.save_cache`)."""
        from ..pipeline import save_cache, when_idle

        self.resident.save_when_idle = True
        answers = None
        if self.answers_publishes:
            answers = Answers(self.config_path, self._same_output, self.last, stop)
            answers.start()
        try:
            self._run(stop, lambda: when_idle(self.resident), answers)
        finally:
            if answers is not None:
                answers.close()  # sets `stop`: the loop is over anyway
            save_cache(self.resident)

    def _same_output(self, request: PublishRequest) -> bool:
        """Whether `request` asks for what this watch publishes."""
        out = str(self.output_dir.resolve()) if self.output_dir else None
        return (request.channels, request.out, request.drafts, request.future) == (
            self.channels,
            out,
            self.include_drafts,
            self.include_future,
        )

    def _run(
        self, stop: threading.Event, idle: Callable[[], None], answers: Answers | None = None
    ) -> None:
        self.publish(warm=True)
        while not stop.is_set():
            config = self.config or load_config(self.config_path)
            folders = watched_folders(config)
            batches = changes(config, self.config_path, stop, self.due_soon, idle, answers)
            for changed in batches:
                if changed is None:
                    self.publish_scheduled(stop)
                    continue
                if not changed:  # the watcher started: anything saved just before it?
                    self.publish(quiet_if_unchanged=True)
                    self.report(f"watching {', '.join(_shown(config, str(f)) for f in folders)}")
                    continue
                shown = [_shown(config, path) for path in changed[:5]]
                more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
                self.publish(f"changed {', '.join(shown)}{more}", changed=changed)
                if self.config is not None and watched_folders(self.config) != folders:
                    break  # other folders to watch (the config moved one, or one appeared)
