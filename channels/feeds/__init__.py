"""feeds channel (under construction: renders nothing yet, off by default)."""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.channel import Channel, OutputFile
from syndicate.model import Site


class FeedsChannel(Channel):
    name = "feeds"
    summary = "under construction"
    enabled_by_default = False

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        return ()
