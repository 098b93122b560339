"""Unsubscribe tokens: `<subscriber id>.<HMAC-SHA256(secret, list, id, address)>`.

Nothing is stored: the endpoint recomputes the MAC, so a forged or guessed token fails
without a database lookup revealing anything, and rotating the secret voids old links.
The address is part of the MAC so a recycled id never unsubscribes someone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

MAX_ID = 2**63 - 1  # the largest row id SQLite and PostgreSQL (bigint) store
_TOKEN = re.compile(r"^([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True, slots=True)
class TokenSigner:
    secret: bytes

    def _mac(self, list_id: str, subscriber_id: int, email: str) -> str:
        message = f"unsubscribe\0{list_id}\0{subscriber_id}\0{email.casefold()}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def token(self, list_id: str, subscriber_id: int, email: str) -> str:
        return f"{subscriber_id}.{self._mac(list_id, subscriber_id, email)}"

    def verify(self, token: str, list_id: str, subscriber_id: int, email: str) -> bool:
        expected = self.token(list_id, subscriber_id, email)
        return hmac.compare_digest(token.encode("ascii", "replace"), expected.encode("ascii"))


def token_subscriber_id(token: str) -> int | None:
    """The subscriber id a well-formed token claims (to be verified against its MAC)."""
    match = _TOKEN.match(token)
    if not match:
        return None
    number = int(match.group(1))
    return number if number <= MAX_ID else None  # 19 digits can exceed a 64-bit key
