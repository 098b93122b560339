"""`channels.html:` settings in syndicate.yaml."""

from __future__ import annotations

from pydantic import Field, field_validator

from syndicate.channel import article_fields
from syndicate.config import ChannelSettings


class HtmlSettings(ChannelSettings):
    per_page: int = Field(default=20, ge=1, le=500)  # articles per section/tag page
    home_per_section: int = Field(default=5, ge=1, le=50)  # latest items per home block
    qr_code: bool = True  # the "scan to read on your phone" code on article pages
    # Widths of the smaller copies of lead images (srcset); the original is the widest.
    image_widths: list[int] = Field(default=[320, 640, 960, 1280], min_length=1)
    image_quality: int = Field(default=80, ge=30, le=100)  # JPEG and WebP copies
    # Article fields a site's own list or teaser templates show besides the built-in
    # teaser's (headline, link, date, summary, language, picture): lists are keyed on
    # them too, and a template reading a field declared nowhere fails the publish.
    teaser_fields: list[str] = Field(default_factory=list)

    @field_validator("teaser_fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        known = article_fields()
        for name in value:
            if name not in known:
                raise ValueError(
                    f"{name!r} is not an article field (known: {', '.join(sorted(known))})"
                )
        return list(dict.fromkeys(value))

    @field_validator("image_widths")
    @classmethod
    def _sane_widths(cls, value: list[int]) -> list[int]:
        if any(not 16 <= w <= 4096 for w in value):
            raise ValueError("each width must be between 16 and 4096 pixels")
        return sorted(set(value))
