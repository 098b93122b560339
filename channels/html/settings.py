"""`channels.html:` settings in syndicate.yaml."""

from __future__ import annotations

from pydantic import Field

from syndicate.config import ChannelSettings


class HtmlSettings(ChannelSettings):
    per_page: int = Field(default=20, ge=1, le=500)  # articles per section/tag page
    home_per_section: int = Field(default=5, ge=1, le=50)  # latest items per home block
    qr_code: bool = True  # the "scan to read on your phone" code on article pages
