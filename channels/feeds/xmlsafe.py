"""Last line of defence against text XML 1.0 cannot hold.

The core reader already rejects control characters in content files, but a feed that
contains one is unreadable by every client, so anything that reaches the XML goes
through `xml_text` too. The check runs on every body, so the common case (nothing to
remove) is a C-speed scan of the UTF-8 bytes.
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
    if not may_hold_forbidden(data, _CONTROL_BYTES):
        return text
    return _XML_FORBIDDEN.sub("", text)
