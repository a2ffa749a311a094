"""A connection's TokenSource: fresh access tokens, refreshed at most once at a time per grant.

Refresh tokens rotate, and presenting a spent one revokes the grant, so two workers must never
refresh the same grant concurrently. The refresh runs while holding the connection's row lock
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE transaction mode serializes every
writer), and re-reads the tokens under it: whoever waited finds the new token and uses it."""

from __future__ import annotations

import hmac
import logging

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from portal.autosync import conf, errors, grants
from portal.autosync.budget import Priority
from portal.autosync.client import AutoSyncClient, OnRequest
from portal.shops import services
from portal.shops.models import Connection, Shop

log = logging.getLogger(__name__)

#: Refresh a token this close to its expiry rather than let a request fail on it.
REFRESH_MARGIN_SECONDS = 60


class ConnectionTokens:
    """`portal.autosync.tokens.TokenSource` over one connection's stored, encrypted tokens."""

    def __init__(self, connection_id: int) -> None:
        self.connection_id = connection_id

    def __repr__(self) -> str:
        return f"ConnectionTokens(connection_id={self.connection_id})"

    @sensitive_variables()
    def access_token(self) -> str:
        connection = Connection.objects.get(pk=self.connection_id)
        _require_connected(connection)
        if connection.expires_within(REFRESH_MARGIN_SECONDS):
            return self.refresh(connection.access_token)
        return connection.access_token

    @sensitive_variables()
    def refresh(self, rejected_token: str) -> str:
        with transaction.atomic():
            connection = Connection.objects.select_for_update().get(pk=self.connection_id)
            _require_connected(connection)
            current = connection.access_token
            if not hmac.compare_digest(current, rejected_token) and not connection.expires_within(
                REFRESH_MARGIN_SECONDS
            ):
                return current  # another caller refreshed while we waited for the lock
            try:
                tokens = grants.refresh_tokens(connection.refresh_token)
            except errors.GrantRevoked as exc:
                rejection = exc
            else:
                connection.store_tokens(tokens)
                connection.last_refreshed_at = timezone.now()
                connection.refresh_count += 1
                connection.save()
                log.info("Refreshed the tokens of AutoSync connection %s", connection.pk)
                return tokens.access_token
        # Outside the transaction: the status change must be committed, not rolled back.
        services.mark_needs_reconnecting(self.connection_id, f"AutoSync: {rejection.message}")
        raise errors.ReconnectRequired(
            "AutoSync rejected the grant; an owner must reconnect the shop",
            code=rejection.code,
            permanent=True,
        )


def _require_connected(connection: Connection) -> None:
    if connection.status != Connection.Status.CONNECTED:
        raise errors.ReconnectRequired(
            f"The AutoSync connection is {connection.get_status_display().lower()}",
            permanent=True,
        )


def client_for(
    shop: Shop,
    *,
    priority: Priority,
    budget_timeout: float | None = None,
    on_request: OnRequest | None = None,
) -> AutoSyncClient:
    """The AutoSync client for `shop`: its connection's tokens, on the grant's shared rate
    budget, with the policy of `priority` (portal.autosync.conf.POLICIES): "background" for
    syncs and webhook follow-ups, "interactive" when a person waits on the answer."""
    return conf.client(
        ConnectionTokens(shop.connection_id),
        budget_key=f"grant:{shop.connection_id}",
        priority=priority,
        budget_timeout=budget_timeout,
        on_request=on_request,
    )
