"""Make every link and image in an article body absolute.

A feed item is read far from the site (in a reader, on a partner's page), where a
relative `href="../x"` or `src="/media/a.jpg"` points nowhere. Root-relative paths
("/media/a.jpg") resolve against the site's base URL (which may have a path of its
own); other relative references resolve against the article's own URL, like a browser
would on the article page.
"""

from __future__ import annotations

import html
from urllib.parse import urljoin, urlsplit

from syndicate.model import SiteInfo

# The body is sanitised by nh3, which writes lowercase attribute names, one space apart,
# with double quotes: a URL attribute is ` name="`. Every attribute ends in `="`, so one
# str.find pass for that (rather than one pass per name) finds them all.
_URL_ATTRIBUTES = (" href", " src", " cite", " poster", " longdesc")
_WEB = ("https://", "http://")


def absolute_url(value: str, page_url: str, info: SiteInfo) -> str:
    """`value` as an absolute URL, relative to `page_url` (or the site root for '/x')."""
    value = value.strip()
    if value.startswith(_WEB) and value.isascii() and "[" not in value and "]" not in value:
        return value  # what urlsplit says: it has a scheme (and nothing it would refuse)
    if not value or urlsplit(value).scheme:
        return value
    if value.startswith("/") and not value.startswith("//"):
        return info.absolute(value)
    return urljoin(page_url, value)


def absolutize_html(body: str, page_url: str, info: SiteInfo) -> str:
    """`body` with every URL attribute made absolute (text and markup otherwise untouched)."""
    starts = []
    at = body.find('="')
    while at != -1:
        if body.endswith(_URL_ATTRIBUTES, 0, at):
            starts.append(at + 2)
        at = body.find('="', at + 2)
    if not starts:
        return body
    pieces = []
    done = 0
    for start in starts:
        end = body.find('"', start)
        # Only inside a tag: text such as `src="x"` in a code sample stays as written.
        if end == -1 or body.rfind("<", 0, start) < body.rfind(">", 0, start):
            continue
        raw = html.unescape(body[start:end])
        fixed = absolute_url(raw, page_url, info)
        if fixed != raw:
            pieces.append(body[done:start])
            pieces.append(html.escape(fixed, quote=True))
            done = end
    pieces.append(body[done:])
    return "".join(pieces)
