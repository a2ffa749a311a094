"""The AutoSync calls of the shops app, over portal.autosync: refresh, revoke, list the shops."""

from __future__ import annotations

import logging

import requests
from django.conf import settings

from portal.autosync import errors, oauth
from portal.autosync.oauth import TokenResponse

log = logging.getLogger(__name__)

TIMEOUT = (5, 15)  # connect, read: a page waiting on AutoSync must never hang


def token_url() -> str:
    return oauth.token_url(settings.AUTOSYNC_API_URL)


def refresh_tokens(refresh_token: str) -> TokenResponse:
    """New tokens for a grant (raises errors.GrantRevoked when AutoSync refuses the grant)."""
    return oauth.refresh_tokens(
        token_url(),
        settings.AUTOSYNC_CLIENT_ID,
        settings.AUTOSYNC_CLIENT_SECRET,
        refresh_token,
        timeout=TIMEOUT,
    )


def revoke(refresh_token: str) -> bool:
    """Revoke a grant at AutoSync (RFC 7009); False when AutoSync could not confirm it."""
    try:
        oauth.revoke(
            oauth.revoke_url(settings.AUTOSYNC_API_URL),
            settings.AUTOSYNC_CLIENT_ID,
            settings.AUTOSYNC_CLIENT_SECRET,
            refresh_token,
            timeout=TIMEOUT,
        )
    except errors.AutoSyncError as exc:
        log.warning("AutoSync did not confirm a revocation: %r", exc)
        return False
    return True


def list_shops(access_token: str) -> list[dict]:
    """GET /v1/shops, every page: the shops a new grant reaches."""
    shops: list[dict] = []
    page = 1
    while True:
        try:
            response = requests.get(
                f"{settings.AUTOSYNC_API_URL}/shops",
                params={"page": page, "per_page": 100},
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise errors.from_exception(exc) from None
        body = errors.envelope(response)
        data = body["data"] if isinstance(body["data"], list) else []
        shops.extend(
            item for item in data if isinstance(item, dict) and isinstance(item.get("id"), int)
        )
        total = (body.get("pagination") or {}).get("total", 0)
        if not data or len(shops) >= total:
            return shops
        page += 1
