"""The AutoSync calls of the shops app, over portal.autosync: refresh, revoke, list the shops."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from portal.autosync import conf, errors, oauth
from portal.autosync.oauth import TokenResponse
from portal.autosync.pages import iter_all
from portal.autosync.tokens import StaticToken

log = logging.getLogger(__name__)

TIMEOUT = (5, 15)  # connect, read: a page waiting on AutoSync must never hang


@sensitive_variables()
def refresh_tokens(refresh_token: str) -> TokenResponse:
    """New tokens for a grant (raises errors.GrantRevoked when AutoSync refuses the grant)."""
    return oauth.refresh_tokens(
        conf.token_url(),
        settings.AUTOSYNC_CLIENT_ID,
        settings.AUTOSYNC_CLIENT_SECRET,
        refresh_token,
        timeout=TIMEOUT,
    )


@sensitive_variables()
def revoke(token: str, token_type_hint: str = "refresh_token", attempts: int = 1) -> bool:  # noqa: S107
    """Revoke a grant at AutoSync (RFC 7009; revoking the refresh token ends the whole grant);
    False when AutoSync could not confirm it. Revoking is idempotent: a failure that may be
    passing is tried again, `attempts` times in all."""
    for attempt in range(1, attempts + 1):
        try:
            oauth.revoke(
                conf.revoke_url(),
                settings.AUTOSYNC_CLIENT_ID,
                settings.AUTOSYNC_CLIENT_SECRET,
                token,
                token_type_hint=token_type_hint,
                timeout=TIMEOUT,
            )
        except errors.AutoSyncError as exc:
            log.warning("AutoSync did not confirm a revocation (try %s): %r", attempt, exc)
            if exc.permanent:
                return False
        else:
            return True
    return False


@sensitive_variables()
def list_shops(access_token: str) -> list[dict]:
    """GET /v1/shops, every page: the shops a new grant reaches. The person who just approved
    is waiting, so the call is interactive and retried once at most; the grant is not stored
    yet, so its budget is keyed by a digest of the token."""
    digest = hashlib.sha256(access_token.encode()).hexdigest()[:16]
    client = conf.client(
        StaticToken(access_token),
        budget_key=f"consent:{digest}",
        priority="interactive",
        retries=1,
    )
    return list(iter_all(client.list_shops, per_page=100))
