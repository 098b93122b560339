"""`sources:` in syndicate.yaml: one entry per partner or wire feed.

Standalone pydantic models (not `config.StrictModel`), because `config.py` imports this
module to type its `sources` list.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> Any:
    """`900`, `"15m"`, `"1h"`: seconds as a float (other values left to pydantic)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration such as 900, 15m, 1h or 1d")
        return float(match.group(1)) * _UNITS[match.group(2) or "s"]
    return value


class SourceSettings(BaseModel):
    """One source. Its `name` is its identity in the ingest state: renaming a source makes
    its entries whose ids are not global URIs look new."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    url: str
    section: str = Field(min_length=1)
    tags: list[str] = []
    publish: Literal["review", "auto"] = "review"
    canonical: Literal["source", "self"] = "source"
    format: str | None = None  # an adapter name (rss, atom, jsonfeed, ninjs); default: sniffed
    interval: float = Field(default=900.0, ge=0)  # seconds between fetches
    timeout: float = Field(default=30.0, gt=0)  # the whole fetch, connect to last byte
    max_bytes: int = Field(default=10_000_000, gt=0)  # decompressed response size limit
    max_redirects: int = Field(default=5, ge=0, le=20)
    allow_private_network: bool = False  # loopback, private, link-local, metadata addresses

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value.strip()

    @field_validator("section")
    @classmethod
    def _section_path(cls, value: str) -> str:
        path = value.strip().strip("/")
        parts = path.split("/")
        if not path or any(p in ("", ".", "..") or p.startswith(("_", ".")) for p in parts):
            raise ValueError(
                f"{value!r} is not a section path such as finance/markets "
                "(no empty, '.', '..' or '_'/'.'-prefixed parts)"
            )
        return path

    @model_validator(mode="before")
    @classmethod
    def _durations(cls, data: Any) -> Any:
        if isinstance(data, dict) and "interval" in data:
            data = dict(data, interval=parse_duration(data["interval"]))
        return data


def unique_names(sources: list[SourceSettings]) -> list[SourceSettings]:
    """Source names must differ: each keys its own fetch state."""
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise ValueError(f"source name {source.name!r} is used twice")
        seen.add(source.name)
    return sources
