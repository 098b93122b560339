"""newsletter channel (under construction: renders nothing yet, off by default)."""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.channel import Channel, OutputFile
from syndicate.model import Site


class NewsletterChannel(Channel):
    name = "newsletter"
    summary = "under construction"
    enabled_by_default = False

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        return ()
