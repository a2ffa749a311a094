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


@checks.register(checks.Tags.security, deploy=True)
def production_services(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Production runs on PostgreSQL, Redis and a mail server, with its AutoSync registration
    (docs/deploy.md). The embedded defaults would start, then serialise every write, keep
    tasks on one machine and lose every email: refused instead, at the start."""
    if settings.DEBUG:
        return []
    found = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        found.append(
            checks.Error(
                "DATABASE_URL must name a PostgreSQL database when DEBUG is off.",
                hint="SQLite is the development default: postgresql://user@host:5432/portal",
                id="portal.E004",
            )
        )
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        found.append(
            checks.Error(
                "CELERY_BROKER_URL must name a Redis server when DEBUG is off.",
                hint="The filesystem broker is for one development machine: redis://host:6379/0",
                id="portal.E005",
            )
        )
    if not settings.EMAIL_HOST:
        found.append(
            checks.Error(
                "EMAIL_HOST must name the SMTP server when DEBUG is off.",
                hint="Bookings, sign-in links and invites are sent by email.",
                id="portal.E006",
            )
        )
    missing = [
        name
        for name in ("AUTOSYNC_CLIENT_ID", "AUTOSYNC_CLIENT_SECRET", "AUTOSYNC_WEBHOOK_SECRET")
        if not getattr(settings, name, "")
    ]
    if missing:
        found.append(
            checks.Error(
                f"{', '.join(missing)} must be set when DEBUG is off.",
                hint="AutoSync gives them when the portal is registered as an integration.",
                id="portal.E007",
            )
        )
    return found


def refuse_to_start_unsafe() -> None:
    """Run the deployment checks as a production process starts (gunicorn's `on_starting`,
    a Celery worker's and beat's init): one failing stops it with the checks' messages,
    instead of failing later on a booking. `PORTAL_CHECK_ON_START=0` skips it, for a
    measurement of production code on a development machine (benchmarks/)."""
    import os

    from django.core.management import call_command

    if settings.DEBUG or os.environ.get("PORTAL_CHECK_ON_START", "1") == "0":
        return
    call_command("check", deploy=True, fail_level="WARNING")
