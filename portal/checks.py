"""System checks of the portal's settings: `manage.py check` (and runserver, migrate) fail on a
configuration that would only break later, after a shop owner has granted access."""

from __future__ import annotations

import binascii
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from django.conf import settings
from django.core import checks

AUTOSYNC_URLS = ("AUTOSYNC_API_URL", "AUTOSYNC_AUTHORIZE_URL")


@checks.register(checks.Tags.security)
def encryption_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found = []
    keys = settings.PORTAL_ENCRYPTION_KEYS
    if not keys:
        found.append(checks.Error("PORTAL_ENCRYPTION_KEYS is empty.", id="portal.E001"))
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError, binascii.Error):
            # Never echo the key itself: check output ends up in CI logs.
            found.append(
                checks.Error(
                    f"Key {position} of PORTAL_ENCRYPTION_KEYS is not a Fernet key.",
                    hint="A key is 32 random bytes in URL-safe base64: "
                    "python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="portal.E001",
                )
            )
    return found


@checks.register(checks.Tags.security)
def autosync_urls_use_https(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Tokens and client secrets travel to these URLs: plain HTTP only on a developer's box."""
    if settings.DEBUG:
        return []
    return [
        checks.Error(
            f"{name} must be an https:// URL when DEBUG is off (it is {url!r}).",
            id="portal.E002",
        )
        for name in AUTOSYNC_URLS
        if urlsplit(url := getattr(settings, name, "") or "").scheme != "https"
    ]


@checks.register(checks.Tags.security, checks.Tags.caches, deploy=True)
def shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("RedisCache"):
        return []
    return [
        checks.Warning(
            "The throttles of sign-in, sign-up and password reset use the database cache, "
            "whose counters are not atomic.",
            hint="Set CACHE_URL to a Redis URL in production.",
            id="portal.W003",
        )
    ]
