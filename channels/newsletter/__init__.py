"""newsletter channel: plain-text e-mail digests per mailing list, sent over SMTP exactly once.

Publishing writes nothing: issues are built and sent with `syndicate newsletter build|send`
(an editor decides when a digest goes out, as in listmonk or Ghost), subscribers are
managed with `syndicate subscribers ...`, and `syndicate newsletter unsubscribe-server`
answers the RFC 8058 one-click links.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from syndicate.channel import Channel, OutputFile
from syndicate.model import Site

from .settings import NewsletterSettings


class NewsletterChannel(Channel[NewsletterSettings]):
    name = "newsletter"
    summary = "plain-text e-mail digests per mailing list (syndicate newsletter send)"
    enabled_by_default = True

    def render_site(self, site: Site) -> Iterable[OutputFile]:
        """Nothing to write: issues go out by e-mail, on the editor's command."""
        return ()

    @classmethod
    def commands(cls) -> Iterable[click.Command]:
        from .cli import COMMANDS  # imported on demand: publishing never needs SMTP or WSGI

        return COMMANDS
