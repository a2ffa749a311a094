"""API keys: `sk_test_` + 32 random characters, stored only as their SHA-256."""

import hashlib
import secrets
import string

from sandbox.core.models import Account, ApiKey

PREFIX = "sk_test_"
_ALPHABET = string.ascii_letters + string.digits


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def new_api_key(account: Account, name: str = "Default") -> tuple[ApiKey, str]:
    """Create a key for `account`; returns it with the plain key, which is never stored."""
    plain = PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(32))
    key = ApiKey.objects.create(
        account=account, name=name, prefix=plain[:12], key_hash=hash_key(plain)
    )
    return key, plain
