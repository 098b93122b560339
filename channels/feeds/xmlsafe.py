"""Last line of defence against text XML 1.0 cannot hold, and escaping as lxml does it.

The core reader already rejects control characters in content files, but a feed that
contains one is unreadable by every client, so anything that reaches the XML goes
through `xml_text` too. The check runs on every body, so the common case (nothing to
remove) is a C-speed scan of the UTF-8 bytes.

The escapers write exactly what lxml writes for text and attribute values, so the fast
entry writers (`atomfast`, `rssfast`) stay byte-identical to the feedgen path. Bodies
are escaped as UTF-8 bytes: most hold some CJK, which makes the `str` a two-byte-per-
character string that `str.replace` walks several times slower than the bytes.
"""

from __future__ import annotations

import re

from syndicate.xmlchars import XML_CONTROL_BYTES, may_hold_forbidden

# XML 1.0's forbidden characters plus DEL, which feed validators flag.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_CONTROL_BYTES = XML_CONTROL_BYTES + b"\x7f"


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (and DEL, which validators flag)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _XML_FORBIDDEN.sub("", text)
    if utf8_is_xml_safe(data):
        return text
    return _XML_FORBIDDEN.sub("", text)


def utf8_is_xml_safe(data: bytes) -> bool:
    """Whether UTF-8 `data` holds nothing `xml_text` would remove (DEL included)."""
    return not may_hold_forbidden(data, _CONTROL_BYTES)


def is_xml_safe(text: str) -> bool:
    """Whether `xml_text(text)` would return `text` itself (nothing to remove)."""
    try:
        return utf8_is_xml_safe(text.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate
        return False


def escape_text(value: str) -> str:
    """Escaped as lxml escapes element text (chained replace: C speed)."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def escape_plain_text(value: str) -> str:
    """RSS plain text (titles): "&", "<" and ">" as hexadecimal character references.

    RSS never said whether titles may hold HTML, so readers guess; the RSS Best
    Practices Profile (and the W3C validator's CharacterData warning) ask for `&#x26;`
    and `&#x3C;`, the one spelling every reader shows as the character itself.
    """
    value = value.replace("&", "&#x26;").replace("<", "&#x3C;").replace(">", "&#x3E;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def hex_plain_text(escaped: bytes) -> bytes:
    """`escape_plain_text` of a text lxml escaped already (its three entities swapped)."""
    return (
        escaped.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;").replace(b"&gt;", b"&#x3E;")
    )


def escape_attr(value: str) -> str:
    """Escaped as lxml escapes attribute values."""
    value = escape_text(value).replace('"', "&quot;")
    if "\n" in value or "\t" in value:
        value = value.replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def escape_utf8_text(data: bytes) -> bytes:
    """`escape_text` on UTF-8 bytes (ASCII markup bytes never occur inside a character)."""
    data = data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    return data.replace(b"\r", b"&#13;") if b"\r" in data else data
