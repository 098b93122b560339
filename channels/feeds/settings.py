"""The feeds channel's settings (`channels.feeds:` in syndicate.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from syndicate.config import ChannelSettings, EnvStr

FormatName = Literal["atom", "rss", "json"]
ALL_FORMATS: tuple[FormatName, ...] = ("atom", "rss", "json")

# Some aggregators refuse feeds of 1 MB or more; stay below it with every file.
DEFAULT_MAX_BYTES = 1_000_000


class FeedsSettings(ChannelSettings):
    """What the feeds channel writes; defaults follow Hugo/Ghost (newest items, full text)."""

    limit: int = Field(default=50, ge=1, le=1000)
    formats: list[FormatName] = Field(default_factory=lambda: list(ALL_FORMATS))
    sections: bool = True  # one feed per section (a parent includes its subsections)
    tags: bool = True  # one feed per tag
    authors: bool = True  # one feed per author (authors/<slug>/atom.xml ...)
    hub: EnvStr | None = None  # WebSub hub announced with rel="hub"
    archive: bool = True  # RFC 5005 monthly archive pages of the site feed
    stylesheet: bool = True  # XSLT so a feed opened in a browser reads as a page
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=10_000)

    @property
    def archived(self) -> bool:
        """Whether RFC 5005 archive pages are written: they are Atom documents."""
        return self.archive and "atom" in self.formats

    @field_validator("formats")
    @classmethod
    def _distinct(cls, value: list[FormatName]) -> list[FormatName]:
        if not value:
            raise ValueError("list at least one of atom, rss, json")
        return list(dict.fromkeys(value))

    @field_validator("hub")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an absolute http:// or https:// URL")
        return value
