"""Reading untrusted documents safely: charsets, XML without DTDs, dates, plain text.

For adapters (built in or a newsroom's own): every feed is hostile until parsed. XML
with a DOCTYPE is refused before lxml sees it (no external entities, no entity
expansion bombs), and lxml runs with entities, DTDs and the network off anyway.
"""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from html.entities import name2codepoint
from typing import Any

import nh3
from lxml import etree

from ..xmlchars import XML_FORBIDDEN
from .adapter import SourceError

# Chinese sources declare GB2312 or GBK and use characters only their superset has.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "iso-8859-1": "cp1252",  # as browsers do: C1 bytes are almost always Windows-1252
    "latin1": "cp1252",
    "us-ascii": "cp1252",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.I)
_WHITESPACE = re.compile(r"\s*")
_DECLARATION_TEXT = re.compile(r"\A\ufeff?\s*<\?xml.*?\?>", re.S)
_SPACE = re.compile(r"\s+")
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_PLAIN = nh3.Cleaner(tags=set(), attributes={}, clean_content_tags={"script", "style"})


def declared_charset(data: bytes, content_type: str, *, xml: bool) -> tuple[str, str]:
    """(Python codec, where it was declared): BOM, then HTTP, then the XML declaration."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, "byte order mark"
    name: str | None = None
    where = "Content-Type"
    param = _CHARSET_PARAM.search(content_type or "")
    if param:
        name = param.group(1)
    elif xml:
        declared = _XML_DECLARATION.match(data[:512])
        if declared:
            name, where = declared.group(1).decode("ascii"), "XML declaration"
    if name is None:
        return "utf-8", "default"
    name = name.lower()
    codec = _SUPERSETS.get(name, name)
    try:
        codecs.lookup(codec)
    except LookupError:
        raise SourceError(f"unknown charset {name!r} in the {where}") from None
    return codec, where


def decode(data: bytes, content_type: str, *, xml: bool) -> tuple[str, list[str]]:
    """The document's text, decoded as declared; undecodable bytes become U+FFFD and are
    reported once rather than losing the whole feed."""
    codec, where = declared_charset(data, content_type, xml=xml)
    problems: list[str] = []
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        text = data.decode(codec, errors="replace")
        problems.append(
            f"bytes not valid {codec} (declared in the {where}) replaced, "
            f"the first at byte {exc.start}"
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if XML_FORBIDDEN.search(text):
        text = XML_FORBIDDEN.sub("", text)
        problems.append("control characters XML forbids were removed")
    return text, problems


def _has_doctype(text: str) -> bool:
    """Whether a DOCTYPE comes before the root element (after the declaration, comments,
    processing instructions). A scan, not a regex: hostile input must not backtrack."""
    pos = 0
    while True:
        space = _WHITESPACE.match(text, pos)
        pos = space.end() if space else pos
        for opening, closing in (("<?", "?>"), ("<!--", "-->")):
            if text.startswith(opening, pos):
                end = text.find(closing, pos + len(opening))
                if end < 0:
                    return False  # unterminated: lxml reports it
                pos = end + len(closing)
                break
        else:
            return text[pos : pos + 9].upper() == "<!DOCTYPE"


def parse_xml(data: bytes, content_type: str, url: str | None = None) -> tuple[Any, list[str]]:
    """The root element of an XML document, refusing DTDs before parsing; `url` makes
    `element.base` resolve xml:base against where the document came from."""
    text, problems = decode(data, content_type, xml=True)
    if _has_doctype(text):
        raise SourceError(
            "XML with a DOCTYPE refused: feeds need none, and DTDs carry entity attacks "
            "(XXE, billion laughs)"
        )
    body = _html_entities_as_numbers(_DECLARATION_TEXT.sub("", text, count=1))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        encoding="utf-8",
    )
    try:
        root = etree.fromstring(body.encode("utf-8"), parser, base_url=url)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"not well-formed XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SourceError("XML with a DOCTYPE refused")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise SourceError(f"XML entity reference &{node.name}; refused")
    return root, problems


def _html_entities_as_numbers(text: str) -> str:
    """`&nbsp;` and other HTML names, which feeds use without the DTD that would define
    them, as character references: the feed stays readable and no DTD is ever needed."""
    if "&" not in text:
        return text

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        code = name2codepoint.get(name)
        return f"&#{code};" if code is not None and name not in _XML_ENTITIES else match.group(0)

    return _NAMED_ENTITY.sub(number, text)


def parse_json(data: bytes, content_type: str) -> tuple[Any, list[str]]:
    import json

    text, problems = decode(data, content_type, xml=False)
    try:
        return json.loads(text), problems
    except json.JSONDecodeError as exc:
        raise SourceError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise SourceError("JSON nested too deeply") from None


def plain_text(html: str | None) -> str:
    """Text without tags or entities, whitespace collapsed: for titles and summaries."""
    if not html:
        return ""
    if "<" in html or "&" in html:
        html = unescape(_PLAIN.clean(html))
    return _SPACE.sub(" ", html).strip()


def parse_date(value: str | None) -> datetime | None:
    """RFC 3339 / ISO 8601 or RFC 822 (RSS); aware (UTC when no offset is given)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    when: datetime | None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


def dated(value: str | None, label: str, problems: list[str]) -> datetime | None:
    """`parse_date`, noting a value that is there but unreadable in `problems`."""
    when = parse_date(value)
    if when is None and value and value.strip():
        problems.append(f"{label} {value.strip()[:60]!r} is not a date")
    return when
