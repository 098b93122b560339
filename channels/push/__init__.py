"""Partner push: signed, retried, durable delivery of articles to partner endpoints.

`syndicate publish` records what changed per partner in an outbox (after the new output
is live); `syndicate push` delivers it. Publishing never waits on a partner.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime

import click

from syndicate.channel import Channel, OutputFile, PublishReport
from syndicate.config import ChannelSettings
from syndicate.delivery.outbox import NewDelivery, now
from syndicate.delivery.stores import open_outbox
from syndicate.errors import SyndicateError
from syndicate.model import Site

from .changes import changes
from .payloads import utc_now
from .settings import PushSettings

log = logging.getLogger(__name__)


class PushError(SyndicateError):
    """The outbox could not record a publish's deliveries."""


class PushChannel(Channel[PushSettings]):
    name = "push"
    summary = "signed pushes of new, updated and withdrawn articles to partners; WebSub pings"
    enabled_by_default = True

    @property
    def push_settings(self) -> PushSettings:
        return self.settings

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        return ()

    @classmethod
    def settings_problems(cls, settings: ChannelSettings) -> list[str]:
        """Partners that cannot be sent to (unset variable, bad secret); the rest can."""
        assert isinstance(settings, PushSettings)
        found = (p.problem() for p in settings.partners)
        return [f"channels.push.partners: {problem}" for problem in found if problem]

    def after_publish(self, report: PublishReport) -> None:
        settings = self.push_settings
        config = self.context.config
        hubs = settings.hubs or list(report.site.info.hubs)
        if not settings.partners and not hubs:
            return
        if self.context.output_dir.resolve() != config.output_dir.resolve():
            log.info(
                "push: output went to %s, a preview; nothing recorded", self.context.output_dir
            )
            return
        if settings.partners:
            added = self.record(report.site, report.now)
            log.info("push: %d deliveries recorded", added)
            for problem in self.settings_problems(settings):
                log.warning(
                    "warning: %s; its deliveries wait (see `syndicate push status`)", problem
                )
        if hubs:
            # HTTP (httpx) only when there is something to ping: most publishes never
            # import it, which keeps them ~0.1 s shorter.
            import asyncio

            from .deliverer import ssl_context
            from .websub import changed_feeds, ping

            feeds = changed_feeds(report.written, report.site.info)
            if feeds:
                verify = ssl_context(settings.ca_path(config))
                for warning in asyncio.run(ping(hubs, feeds, verify=verify)):
                    log.warning("warning: %s", warning)

    def record(self, site: Site, at: datetime | None = None) -> int:
        """Add one pending delivery per changed article version and matching partner;
        `at` is the publish's time (versions are dated with it)."""
        settings = self.push_settings
        config = self.context.config
        path = settings.store_path(config)
        created = (at or utc_now()).astimezone(UTC).replace(microsecond=0)

        def source_exists(relpath: str) -> bool:
            return (config.content_dir / relpath).exists()

        try:
            with closing(open_outbox(config, path)) as outbox:
                items: list[NewDelivery] = []
                for partner in settings.partners:
                    recorded = outbox.recorded(partner.name)
                    items += changes(
                        partner, site, recorded, created=created, source_exists=source_exists
                    )
                return outbox.enqueue(items, now=now())
        except (sqlite3.Error, OSError, SyndicateError) as exc:
            where = "on PostgreSQL (state_url)" if config.file.state_url else str(path)
            raise PushError(
                f"push outbox {where}: could not record deliveries ({exc}); the site is "
                "published, run `syndicate publish` again to record them"
            ) from None

    @classmethod
    def commands(cls) -> Iterable[click.Command]:
        from .cli import push

        return (push,)
