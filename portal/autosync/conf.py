"""The client, budget and OAuth endpoints as the portal's settings configure them."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from . import oauth
from .budget import Budget, Priority, budget_from_url
from .client import AutoSyncClient, OnRequest
from .tokens import TokenSource


def budget_url() -> str:
    """AUTOSYNC_BUDGET_URL; else the Redis broker when there is one; else a SQLite file."""
    if settings.AUTOSYNC_BUDGET_URL:
        return settings.AUTOSYNC_BUDGET_URL
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return f"sqlite:///{settings.VAR_DIR / 'autosync-budget.sqlite3'}"


@cache
def shared_budget() -> Budget:
    """The process's handle on the budget every process shares."""
    return budget_from_url(budget_url(), reserve=settings.AUTOSYNC_INTERACTIVE_RESERVE)


#: What a priority means for a client. A person waiting (interactive) draws on the window's
#: reserve and is answered within seconds: a short wait for the budget, one retry. Background
#: work never waits for the budget (BudgetExhausted says when to come back, so a worker is
#: never held) and retries more.
POLICIES: dict[Priority, dict] = {
    "interactive": {"budget_timeout": 15.0, "retries": 1},
    "background": {"budget_timeout": 0.0, "retries": 4},
}


def client(
    tokens: TokenSource,
    *,
    budget_key: str,
    priority: Priority,
    budget_timeout: float | None = None,
    on_request: OnRequest | None = None,
) -> AutoSyncClient:
    """A client of settings.AUTOSYNC_API_URL for one credential (`budget_key` names it in the
    shared budget), with the policy of its priority; `budget_timeout` overrides the policy's
    (a command in the foreground may wait the window out)."""
    policy = POLICIES[priority]
    return AutoSyncClient(
        settings.AUTOSYNC_API_URL,
        tokens,
        budget=shared_budget(),
        budget_key=budget_key,
        priority=priority,
        timeout=settings.AUTOSYNC_TIMEOUT,
        retries=policy["retries"],
        budget_timeout=policy["budget_timeout"] if budget_timeout is None else budget_timeout,
        on_request=on_request,
    )


def token_url() -> str:
    return oauth.token_url(settings.AUTOSYNC_API_URL)


def revoke_url() -> str:
    return oauth.revoke_url(settings.AUTOSYNC_API_URL)
