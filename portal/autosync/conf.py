"""The client, budget and OAuth endpoints as the portal's settings configure them."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from . import oauth
from .budget import Budget, Priority, budget_from_url
from .client import AutoSyncClient
from .tokens import TokenSource


def budget_url() -> str:
    """AUTOSYNC_BUDGET_URL; else the Redis broker when there is one; else a SQLite file."""
    explicit = getattr(settings, "AUTOSYNC_BUDGET_URL", None)
    if explicit:
        return explicit
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return f"sqlite:///{settings.VAR_DIR / 'autosync-budget.sqlite3'}"


@cache
def shared_budget() -> Budget:
    """The process's handle on the budget every process shares."""
    return budget_from_url(
        budget_url(), reserve=getattr(settings, "AUTOSYNC_INTERACTIVE_RESERVE", 0.2)
    )


def client(
    tokens: TokenSource, *, budget_key: str, priority: Priority = "background", retries: int = 4
) -> AutoSyncClient:
    """A client of settings.AUTOSYNC_API_URL for one credential (`budget_key` names it)."""
    return AutoSyncClient(
        settings.AUTOSYNC_API_URL,
        tokens,
        budget=shared_budget(),
        budget_key=budget_key,
        priority=priority,
        timeout=getattr(settings, "AUTOSYNC_TIMEOUT", (3.05, 20)),
        retries=retries,
    )


def token_url() -> str:
    return oauth.token_url(settings.AUTOSYNC_API_URL)


def revoke_url() -> str:
    return oauth.revoke_url(settings.AUTOSYNC_API_URL)
