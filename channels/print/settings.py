"""`channels.print:` settings in syndicate.yaml."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from syndicate.config import ChannelSettings, StrictModel
from syndicate.qr import ErrorCorrection


class UtmSettings(StrictModel):
    """Campaign parameters added to the URL a printed code leads to.

    `campaign` and `content` may use `{date}` (the edition date, YYYY-MM-DD) and `{slug}`.
    Write `utm: false` to add none.
    """

    enabled: bool = True
    source: str = Field(default="print", min_length=1)
    medium: str = Field(default="qr", min_length=1)
    campaign: str = Field(default="{date}", min_length=1)
    content: str | None = None

    @field_validator("campaign", "content")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format(date="2024-01-01", slug="x")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"unknown placeholder {exc}; use {{date}} or {{slug}}") from None
        return value


class FontSettings(StrictModel):
    """TrueType font files for the edition PDF; unset ones are searched (see fonts.py)."""

    regular: str | None = None
    bold: str | None = None
    cjk: str | None = None


class PrintSettings(ChannelSettings):
    error_correction: ErrorCorrection = "M"
    size_mm: float = Field(default=25.0, ge=10, le=300)  # printed width of the code
    dpi: int = Field(default=300, ge=72, le=2400)
    utm: UtmSettings = UtmSettings()
    # True: the code holds the short link (fewer modules, sturdier when small), whose
    # redirect page carries the campaign parameters; False: the full article URL with them.
    use_short_url: bool = True
    dek_chars: int = Field(default=160, ge=20, le=2000)
    per_page: int = Field(default=6, ge=1, le=12)  # snippets per A4 page of the edition sheet
    fonts: FontSettings = FontSettings()

    @field_validator("utm", mode="before")
    @classmethod
    def _switch(cls, value: Any) -> Any:
        """`utm: off` is shorthand for `utm: {enabled: false}`."""
        return {"enabled": value} if isinstance(value, bool) else value
