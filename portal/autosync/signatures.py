"""Webhook signatures: X-AutoSync-Signature is the hex HMAC-SHA256 of the raw body."""

from __future__ import annotations

import hashlib
import hmac


def sign(raw_body: bytes, secret: str) -> str:
    """The signature AutoSync sends for `raw_body` (lowercase hex)."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_signature(raw_body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` signs `raw_body` under `secret`; checked before the body is parsed.

    Accepts an optional `sha256=` prefix and either hex case; False for a missing or garbled
    header or an empty secret. The comparison takes constant time.
    """
    if not header or not secret:
        return False
    candidate = header.strip()
    if candidate[:7].lower() == "sha256=":
        candidate = candidate[7:]
    expected = sign(raw_body, secret)
    # compare_digest wants ASCII: a header with other characters is simply wrong.
    if not candidate.isascii():
        return False
    return hmac.compare_digest(expected, candidate.lower())
