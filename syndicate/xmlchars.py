"""Characters XML 1.0 cannot hold, found at C speed.

The reader refuses content files that contain one and the feeds strip any that still
reach their XML; both scan every body, so the common case (none present) is a byte-level
check of the UTF-8 before any character-by-character regex.
"""

from __future__ import annotations

import re

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
XML_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF


def may_hold_forbidden(data: bytes, control: bytes = XML_CONTROL_BYTES) -> bool:
    """Whether UTF-8 `data` may hold a forbidden character (or a byte of `control`).

    Valid UTF-8 cannot encode surrogates, so control bytes and U+FFFE/U+FFFF are all
    that can be there. Both of those start with the byte EF, which most texts lack: one
    memchr then spares two three-byte searches that crawl through CJK text.
    """
    if len(data.translate(None, control)) != len(data):
        return True
    return b"\xef" in data and (_NONCHARACTERS[0] in data or _NONCHARACTERS[1] in data)
