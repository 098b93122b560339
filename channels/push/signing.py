"""Request authentication: Standard Webhooks HMAC signatures, or a bearer token.

Standard Webhooks 1.0: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>`
where the key is the secret's bytes (serialised as `whsec_` + base64) and several
space-separated signatures allow a key rotation without downtime.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from syndicate.config import Secret
from syndicate.errors import ConfigError

from .settings import Auth

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24  # the spec: random, at least 24 bytes (192 bits), at most 64
MAX_KEY_BYTES = 64


def decode_secret(secret: Secret) -> bytes:
    """The HMAC key: `whsec_` (optional, as in the reference libraries) + base64."""
    text = secret.reveal().strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"environment variable {secret.name}: not a Standard Webhooks secret "
            "(whsec_ followed by base64)"
        ) from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ConfigError(
            f"environment variable {secret.name}: a Standard Webhooks secret must decode "
            f"to {MIN_KEY_BYTES}-{MAX_KEY_BYTES} random bytes (got {len(key)})"
        )
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    return _sign(key, b"%s.%d." % (msg_id.encode(), timestamp) + body).decode("ascii")


def _sign(key: bytes, signed: bytes) -> bytes:
    # hmac.digest: OpenSSL's one-shot HMAC, no HMAC object per delivery.
    return b"v1," + base64.b64encode(hmac.digest(key, signed, hashlib.sha256))


class Signer:
    """Turns a partner's auth settings into request headers; holds the revealed keys."""

    __slots__ = ("_authorization", "_bearer", "_keys")

    def __init__(self, auth: Auth) -> None:
        self._keys: Sequence[bytes] = ()
        self._bearer: str | None = None
        self._authorization = b""
        if auth.type == "bearer":
            assert auth.token is not None
            self._bearer = auth.token.reveal()
            self._authorization = b"Bearer " + self._bearer.encode()
        else:
            assert auth.secret is not None
            secrets = [auth.secret] + ([auth.previous_secret] if auth.previous_secret else [])
            self._keys = tuple(decode_secret(s) for s in secrets)

    def __repr__(self) -> str:
        return "Signer(<redacted>)"

    def headers(self, msg_id: str, timestamp: int, body: bytes) -> list[tuple[bytes, bytes]]:
        """webhook-id, webhook-timestamp and the signature (or the bearer token), as the
        (name, value) byte pairs httpcore sends."""
        ident = msg_id.encode()
        stamp = b"%d" % timestamp
        headers = [(b"webhook-id", ident), (b"webhook-timestamp", stamp)]
        if self._bearer is not None:
            headers.append((b"authorization", self._authorization))
        else:
            signed = b"%s.%s.%s" % (ident, stamp, body)
            headers.append(
                (b"webhook-signature", b" ".join([_sign(key, signed) for key in self._keys]))
            )
        return headers

    def redact(self, text: str) -> str:
        """Remove any credential a partner's error page might echo back to us."""
        values = [self._bearer] if self._bearer else []
        values += [base64.b64encode(k).decode() for k in self._keys]
        for value in values:
            if value:
                text = text.replace(value, "[redacted]")
        return text
