"""What a partner receives: IPTC ninjs 2.x (default), one Atom entry, or a JSON Feed item.

Every payload carries the article's permanent id (its tag: URI) and a version that only
goes up, so a partner can replace what it holds and ignore anything older. A withdrawn
article is a ninjs object with pubstatus `canceled` (gone for good) or `withheld` (taken
back, may return), an Atom tombstone (RFC 6721), or a JSON Feed item marked the same way.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from syndicate.delivery.outbox import PubStatus
from syndicate.model import Article, SiteInfo

from .settings import Format

NINJS_VERSION = "2.1"
NINJS_SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json"
ATOM_NS = "http://www.w3.org/2005/Atom"
TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
CONTENT_TYPES: dict[Format, str] = {
    "ninjs": "application/json",
    "atom": "application/atom+xml",
    "jsonfeed": "application/feed+json",
}


@dataclass(frozen=True, slots=True)
class Meta:
    """What we keep about an article to describe it once it has been withdrawn."""

    title: str
    url: str
    published: str
    language: str
    source_file: str

    @classmethod
    def of(cls, article: Article) -> Meta:
        return cls(
            article.title,
            article.url,
            _iso(article.published),
            article.language,
            article.source_file,
        )

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Meta:
        return cls(**json.loads(text))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _image_url(article: Article, info: SiteInfo) -> str | None:
    if article.image is None:
        return None
    src = article.image.src
    return src if src.startswith(("http://", "https://")) else info.absolute(src)


def _located(article: Article) -> str | None:
    for key in ("located", "dateline", "location"):
        value = article.extra.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _standard() -> dict[str, str]:
    return {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA}


def ninjs(article: Article, info: SiteInfo, version: int, created: datetime) -> bytes:
    """A full ninjs 2.x text item; `created` is when this version was recorded."""
    section_title = article.breadcrumb[-1].title if article.breadcrumb else article.section
    item: dict[str, Any] = {
        "uri": article.uid,
        "standard": _standard(),
        "type": "text",
        "representationtype": "full",
        "version": str(version),
        "firstcreated": _iso(article.published),
        "versioncreated": _iso(created),
        "pubstatus": "usable",
        **({"embargoed": _iso(article.published)} if article.published > created else {}),
        "language": article.language,
        "slugline": article.slug,
        "headlines": [{"role": "main", "value": article.title}],
    }
    if article.summary:
        item["descriptions"] = [{"role": "summary", "value": article.summary}]
    item["bodies"] = [
        {
            "role": "main",
            "contenttype": "text/html",
            "value": article.body_html,
            "wordcount": article.word_count,
        }
    ]
    if article.authors:
        item["by"] = ", ".join(article.authors)
    subjects: list[dict[str, Any]] = [
        {"name": section_title, "rel": "section", "literal": article.section}
    ]
    subjects += [{"name": tag, "rel": "tag", "literal": tag} for tag in article.tags]
    item["subjects"] = subjects
    if article.source is not None:
        source: dict[str, Any] = {"name": article.source.name, "role": "originator"}
        if article.source.url and article.source.url.startswith(("http://", "https://")):
            source["uri"] = article.source.url
        item["infosources"] = [source]
    located = _located(article)
    if located:
        item["located"] = located
    renditions: list[dict[str, Any]] = [
        {"name": "web", "href": article.url, "contenttype": "text/html"}
    ]
    image_url = _image_url(article, info)
    if article.image is not None and image_url is not None:
        image: dict[str, Any] = {"name": "leadimage", "href": image_url}
        media_type = mimetypes.guess_type(image_url)[0]
        if media_type:
            image["contenttype"] = media_type
        if article.image.alt:
            image["title"] = article.image.alt
        renditions.append(image)
        picture: dict[str, Any] = {
            "name": "leadimage",
            "uri": image_url,
            "type": "picture",
            "renditions": [dict(image, name="original")],
        }
        if article.image.caption:
            picture["headlines"] = [{"role": "caption", "value": article.image.caption}]
        if article.image.alt:
            picture["descriptions"] = [{"role": "alt", "value": article.image.alt}]
        if article.image.credit:
            picture["by"] = article.image.credit
        item["associations"] = [picture]
    item["renditions"] = renditions
    return _json(item)


def ninjs_withdrawn(
    uid: str, meta: Meta, version: int, pubstatus: PubStatus, created: datetime
) -> bytes:
    return _json(
        {
            "uri": uid,
            "standard": _standard(),
            "type": "text",
            "representationtype": "partial",
            "version": str(version),
            "firstcreated": meta.published,
            "versioncreated": _iso(created),
            "pubstatus": pubstatus,
            "language": meta.language,
            "headlines": [{"role": "main", "value": meta.title}],
        }
    )


def _atom(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _xml(root: ET.Element) -> bytes:
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("at", TOMBSTONE_NS)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def atom_entry(article: Article, info: SiteInfo) -> bytes:
    """A standalone Atom entry document (RFC 4287 5.1 allows atom:entry as the root)."""
    entry = ET.Element(_atom("entry"), {XML_LANG: article.language})
    ET.SubElement(entry, _atom("id")).text = article.uid
    ET.SubElement(entry, _atom("title")).text = article.title
    ET.SubElement(
        entry, _atom("link"), {"rel": "alternate", "type": "text/html", "href": article.url}
    )
    ET.SubElement(entry, _atom("published")).text = _iso(article.published)
    ET.SubElement(entry, _atom("updated")).text = _iso(article.modified)
    for name in article.authors:
        ET.SubElement(ET.SubElement(entry, _atom("author")), _atom("name")).text = name
    for tag in article.tags:
        ET.SubElement(entry, _atom("category"), {"term": tag})
    if article.summary:
        ET.SubElement(entry, _atom("summary")).text = article.summary
    image_url = _image_url(article, info)
    if image_url:
        attrs = {"rel": "enclosure", "href": image_url}
        media_type = mimetypes.guess_type(image_url)[0]
        if media_type:
            attrs["type"] = media_type
        ET.SubElement(entry, _atom("link"), attrs)
    if article.source is not None and article.source.url:
        ET.SubElement(entry, _atom("link"), {"rel": "via", "href": article.source.url})
    ET.SubElement(entry, _atom("content"), {"type": "html"}).text = article.body_html
    return _xml(entry)


def atom_tombstone(uid: str, meta: Meta, pubstatus: PubStatus, created: datetime) -> bytes:
    """An RFC 6721 deleted-entry: the entry `ref` is gone from the site."""
    root = ET.Element(f"{{{TOMBSTONE_NS}}}deleted-entry", {"ref": uid, "when": _iso(created)})
    ET.SubElement(root, _atom("link"), {"rel": "alternate", "href": meta.url})
    ET.SubElement(root, f"{{{TOMBSTONE_NS}}}comment").text = pubstatus
    return _xml(root)


def _jsonfeed(info: SiteInfo, item: dict[str, Any]) -> bytes:
    # A whole JSON Feed document holding the one item, so any JSON Feed parser reads it.
    return _json(
        {
            "version": JSONFEED_VERSION,
            "title": info.title,
            "home_page_url": info.base_url,
            "items": [item],
        }
    )


def jsonfeed_item(article: Article, info: SiteInfo, version: int) -> bytes:
    item: dict[str, Any] = {
        "id": article.uid,
        "url": article.url,
        "title": article.title,
        "content_html": article.body_html,
        "date_published": _iso(article.published),
        "date_modified": _iso(article.modified),
        "language": article.language,
    }
    if article.summary:
        item["summary"] = article.summary
    image_url = _image_url(article, info)
    if image_url:
        item["image"] = image_url
    if article.authors:
        item["authors"] = [{"name": name} for name in article.authors]
    if article.tags:
        item["tags"] = list(article.tags)
    if article.source is not None and article.source.url:
        item["external_url"] = article.source.url
    item["_syndicate"] = {"version": version, "pubstatus": "usable"}
    return _jsonfeed(info, item)


def jsonfeed_withdrawn(
    uid: str, meta: Meta, info: SiteInfo, version: int, pubstatus: PubStatus, created: datetime
) -> bytes:
    item = {
        "id": uid,
        "url": meta.url,
        "title": meta.title,
        "content_text": "",
        "date_published": meta.published,
        "date_modified": _iso(created),
        "_syndicate": {"version": version, "pubstatus": pubstatus},
    }
    return _jsonfeed(info, item)


def render(
    fmt: Format, article: Article, info: SiteInfo, version: int, created: datetime
) -> tuple[str, bytes]:
    """(content type, body) of an article version for a partner format."""
    if fmt == "atom":
        return CONTENT_TYPES[fmt] + ";type=entry", atom_entry(article, info)
    if fmt == "jsonfeed":
        return CONTENT_TYPES[fmt], jsonfeed_item(article, info, version)
    return CONTENT_TYPES[fmt], ninjs(article, info, version, created)


def render_withdrawn(
    fmt: Format,
    uid: str,
    meta: Meta,
    info: SiteInfo,
    version: int,
    pubstatus: PubStatus,
    created: datetime,
) -> tuple[str, bytes]:
    if fmt == "atom":
        return CONTENT_TYPES[fmt], atom_tombstone(uid, meta, pubstatus, created)
    if fmt == "jsonfeed":
        return CONTENT_TYPES[fmt], jsonfeed_withdrawn(uid, meta, info, version, pubstatus, created)
    return CONTENT_TYPES[fmt], ninjs_withdrawn(uid, meta, version, pubstatus, created)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
