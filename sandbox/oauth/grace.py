"""The refresh grace period: the pair issued for a refresh token, kept readable only by whoever
holds that refresh token, so that a client whose refresh response was lost gets the same pair
again instead of losing the grant (see docs/sandbox-oauth.md, "Refresh tokens")."""

import base64
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken

# Keeps the key apart from the stored SHA-256 of the refresh token, which a database reader has.
KEY_LABEL = b"autosync-sandbox/refresh-grace/v1"


def _fernet(refresh_token: str) -> Fernet:
    key = hmac.new(KEY_LABEL, refresh_token.encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(refresh_token: str, access_token: str, new_refresh_token: str) -> bytes:
    """The new pair, encrypted under a key derived from the refresh token it replaces."""
    pair = json.dumps({"access_token": access_token, "refresh_token": new_refresh_token})
    return _fernet(refresh_token).encrypt(pair.encode())


def unseal(refresh_token: str, sealed: bytes) -> dict[str, str] | None:
    """The pair `seal` stored, or None if it is gone or `refresh_token` is not its key."""
    if not sealed:
        return None
    try:
        return json.loads(_fernet(refresh_token).decrypt(bytes(sealed)))
    except (InvalidToken, ValueError):
        return None
