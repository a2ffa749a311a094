"""Encryption at rest for secrets the portal must keep (OAuth tokens): Fernet with key rotation."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "reencrypt"]


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("PORTAL_ENCRYPTION_KEYS is empty: the portal cannot keep tokens")
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    # Keyed by the configured keys so that a settings override (tests, rotation) takes effect.
    return _fernet(tuple(settings.PORTAL_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Encrypt under the first configured key."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Decrypt with any configured key; raises InvalidToken if none fits."""
    return _current().decrypt(ciphertext.encode()).decode()


def reencrypt(ciphertext: str) -> str:
    """The same secret encrypted under the first key (for key rotation)."""
    return _current().rotate(ciphertext.encode()).decode()
