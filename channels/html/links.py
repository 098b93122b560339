"""Relative links between pages, so the output works at any base URL, over file:// and
under `syndicate serve` (like Hugo's relativeURLs); canonical and social URLs stay absolute.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})


def safe_external(url: str | None) -> str | None:
    """An http(s) URL from front matter, or None: `javascript:` and friends never reach a page."""
    if not url:
        return None
    scheme = urlsplit(url.strip()).scheme.lower()
    return url.strip() if scheme in SAFE_SCHEMES else None


def _has_scheme(src: str) -> bool:
    return bool(urlsplit(src).scheme) or src.startswith("//")


def root_prefix(output_path: str) -> str:
    """'finance/slug/index.html' -> '../../': from a page's folder back to the site root."""
    return "../" * output_path.count("/")


@dataclass(frozen=True)
class Links:
    """Turns site paths and the model's absolute URLs into links from one page."""

    base_url: str  # the site's base URL, ending in "/"
    root: str  # prefix from the page to the site root ("" at the root, "/" on the 404 page)

    def to(self, site_path: str) -> str:
        """A site-relative path ('finance/', 'tags/ai/', '') as a link from this page."""
        return (self.root + site_path) or "./"

    def url(self, absolute: str) -> str:
        """One of the model's absolute URLs; external URLs are kept as they are."""
        if absolute.startswith(self.base_url):
            return self.to(absolute[len(self.base_url) :])
        return absolute

    def asset(self, src: str) -> str | None:
        """A front-matter media path ('/media/a.jpg') or http(s) URL; None if unsafe."""
        if _has_scheme(src):
            return safe_external(src)
        return self.to(src.lstrip("/"))

    def absolute(self, src: str) -> str | None:
        """A media path as an absolute URL (Open Graph and JSON-LD need those)."""
        if _has_scheme(src):
            return safe_external(src)
        return self.base_url + src.lstrip("/")
