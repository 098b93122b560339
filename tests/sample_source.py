"""The source adapter of docs/architecture.md's worked example, used by the tests."""

from __future__ import annotations

from syndicate.ingest.adapter import IncomingEntry, ParsedFeed, SourceAdapter, SourceError
from syndicate.ingest.documents import dated, parse_json


class WireAdapter(SourceAdapter):
    name = "wire"
    summary = "Example Wire JSON API"

    def sniff(self, head: bytes, content_type: str) -> bool:
        return b'"wireItems"' in head

    def parse(self, data: bytes, content_type: str, url: str) -> ParsedFeed:
        document, problems = parse_json(data, content_type)  # charset as declared
        if not isinstance(document, dict):
            raise SourceError("expected an object with wireItems")
        entries = []
        for item in document.get("wireItems", []):
            notes: list[str] = []
            entries.append(
                IncomingEntry(
                    id=item.get("guid"),
                    title=item.get("headline", ""),
                    link=item.get("webUrl"),
                    body_html=item.get("html", ""),
                    published=dated(item.get("issued"), "issued", notes),
                    problems=tuple(notes),
                )
            )
        return ParsedFeed(tuple(entries), problems=tuple(problems))
