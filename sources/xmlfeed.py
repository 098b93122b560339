"""What the RSS and Atom adapters share: reading text, languages and media out of XML."""

from __future__ import annotations

from typing import Any

from lxml import etree

from syndicate.ingest.adapter import IncomingImage
from syndicate.ingest.documents import plain_text

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
MEDIA = "{http://search.yahoo.com/mrss/}"


def text_of(element: Any | None) -> str | None:
    """An element's whole text (CDATA included), or None when absent or empty."""
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None


def child_text(parent: Any, tag: str) -> str | None:
    return text_of(parent.find(tag))


def language_of(element: Any) -> str | None:
    """xml:lang of the element or its nearest ancestor that has one."""
    node = element
    while node is not None:
        value = node.get(XML_LANG)
        if value:
            return str(value).strip() or None
        node = node.getparent()
    return None


def inner_xml(element: Any) -> str:
    """The children of an element serialised (Atom's type="xhtml" content)."""
    parts = [element.text or ""]
    for child in element:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(parts)


def media_image(item: Any) -> IncomingImage | None:
    """Media RSS: the first image `media:content` (or a group's), else `media:thumbnail`."""
    for content in item.iter(f"{MEDIA}content"):
        medium = content.get("medium") or ""
        kind = content.get("type") or ""
        if content.get("url") and (medium == "image" or kind.startswith("image/")):
            caption = child_text(content, f"{MEDIA}description") or child_text(
                content, f"{MEDIA}title"
            )
            return IncomingImage(content.get("url"), plain_text(caption) or None)
    thumbnail = item.find(f"{MEDIA}thumbnail")
    if thumbnail is not None and thumbnail.get("url"):
        return IncomingImage(thumbnail.get("url"))
    return None
