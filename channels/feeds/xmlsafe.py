"""Last line of defence against text XML 1.0 cannot hold.

The core reader already rejects control characters in content files, but a feed that
contains one is unreadable by every client, so anything that reaches the XML goes
through `xml_text` too. The check runs on every body, so the common case (nothing to
remove) is a C-speed scan of the UTF-8 bytes.
"""

from __future__ import annotations

import re

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids (and DEL, which validators flag)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _XML_FORBIDDEN.sub("", text)
    if (
        len(data.translate(None, _CONTROL_BYTES)) == len(data)
        and _NONCHARACTERS[0] not in data
        and _NONCHARACTERS[1] not in data
    ):
        return text
    return _XML_FORBIDDEN.sub("", text)
