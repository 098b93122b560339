"""`syndicate watch` publishes a scheduled story at its time, with a clock the test sets."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from conftest import SiteFactory

from syndicate.engine.watch import ResidentPublisher

TIME = datetime.fromisoformat("2030-06-01T06:00:00+08:00")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_watch_publishes_a_scheduled_story_at_its_time_not_before(site: SiteFactory) -> None:
    site.article("finance", "older", "Older.\n", published="2030-05-30T09:00:00+08:00")
    site.article("finance", "harbour-deal", "Signed at dawn.\n", published=TIME.isoformat())
    site.write_config()
    page = site.root / "public/finance/harbour-deal/index.html"
    clock = Clock(TIME - timedelta(hours=1))
    lines: list[str] = []
    publisher = ResidentPublisher(
        site.config_path,
        channels=["html", "feeds"],
        clock=clock,
        report=lines.append,
        report_error=lines.append,
    )
    stop = threading.Event()
    thread = threading.Thread(target=publisher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: any(line.startswith("watching") for line in lines))
        assert publisher.next_change == TIME and not page.exists()

        clock.now = TIME - timedelta(seconds=5)  # the loop wakes, but it is not time yet
        time.sleep(1.5)
        assert not page.exists()

        clock.now = TIME - timedelta(seconds=0.4)  # due before the next wake: wait for it
        scheduled = f"scheduled for {TIME.isoformat()}: "
        assert wait_until(lambda: any(line.startswith(scheduled) for line in lines), 5)
        assert page.exists()
        feed = (site.root / "public/atom.xml").read_text("utf-8")
        assert "Harbour Deal" in feed
        assert publisher.next_change is None
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
