"""The OAuth token-endpoint calls made outside the connect flow: refresh and revoke (RFC 7009)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from . import errors

logger = logging.getLogger(__name__)

Timeout = float | tuple[float, float]


def token_url(api_url: str) -> str:
    """The token endpoint: `{API base}/oauth/token`."""
    return f"{api_url.rstrip('/')}/oauth/token"


def revoke_url(api_url: str) -> str:
    """The revocation endpoint: `{API base}/oauth/revoke`."""
    return f"{api_url.rstrip('/')}/oauth/revoke"


@dataclass(frozen=True)
class TokenResponse:
    """What the token endpoint issued (RFC 6749 §5.1)."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str

    def __repr__(self) -> str:
        return f"TokenResponse(expires_at={self.expires_at!r}, scope={self.scope!r})"

    @classmethod
    def from_json(cls, body: Any, *, issued_at: datetime | None = None) -> TokenResponse:
        """An RFC 6749 token answer (or authlib's token dict); TransportError if malformed."""
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise errors.TransportError(
                "The token endpoint answered without a token", ambiguous=True
            )
        expires_at = None
        if isinstance(body.get("expires_at"), int | float):
            expires_at = datetime.fromtimestamp(body["expires_at"], UTC)
        elif isinstance(body.get("expires_in"), int | float):
            expires_at = (issued_at or datetime.now(UTC)) + timedelta(seconds=body["expires_in"])
        refresh = body.get("refresh_token")
        scope = body.get("scope")
        return cls(
            access_token=body["access_token"],
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=expires_at,
            scope=scope if isinstance(scope, str) else "",
        )


def refresh_tokens(
    token_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    timeout: Timeout,
) -> TokenResponse:
    """Trade a refresh token for new tokens (POST {API base}/oauth/token, grant refresh_token).

    Never retried here: refresh tokens rotate, so if the server rotated it but the answer was
    lost, sending the old one again would revoke the grant. A TransportError with
    `ambiguous=False` never reached the server and may be retried by the caller.
    Raises GrantRevoked on `invalid_grant`. When the answer carries no new refresh token the
    old one stays valid and is returned in its place.
    """
    issued_at = datetime.now(UTC)
    body = _post(
        token_url,
        json={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=timeout,
    )
    tokens = TokenResponse.from_json(body, issued_at=issued_at)
    if tokens.refresh_token is None:
        tokens = TokenResponse(tokens.access_token, refresh_token, tokens.expires_at, tokens.scope)
    return tokens


def revoke(
    revoke_url: str,
    client_id: str,
    client_secret: str,
    token: str,
    token_type_hint: str | None = "refresh_token",  # noqa: S107 (a hint, not a secret)
    *,
    timeout: Timeout,
) -> None:
    """Revoke a token (RFC 7009; revoking the refresh token ends the whole grant).

    Revoking is idempotent, so callers may retry a retryable failure freely.
    """
    data = {"token": token, "client_id": client_id, "client_secret": client_secret}
    if token_type_hint:
        data["token_type_hint"] = token_type_hint
    _post(revoke_url, data=data, timeout=timeout, expect_body=False)


def _post(url: str, *, timeout: Timeout, expect_body: bool = True, **payload: Any) -> Any:
    started = time.monotonic()
    try:
        response = requests.post(
            url, timeout=timeout, headers={"Accept": "application/json"}, **payload
        )
    except requests.RequestException as exc:
        logger.warning("AutoSync POST %s failed: %s", url, type(exc).__name__)
        raise errors.from_exception(exc) from exc
    logger.info(
        "AutoSync POST %s -> %s in %.0f ms",
        url,
        response.status_code,
        (time.monotonic() - started) * 1000,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.ok:
        if expect_body and body is None:
            raise errors.TransportError(
                "The token endpoint answered without JSON",
                ambiguous=True,
                status=response.status_code,
            )
        return body
    raise _oauth_error(response.status_code, body, response.headers)


def _oauth_error(status: int, body: Any, headers: Any) -> errors.AutoSyncError:
    """RFC 6749 §5.2 errors ({"error", "error_description"}); other answers as the API's."""
    code = body.get("error") if isinstance(body, dict) else None
    if status in (400, 401) and isinstance(code, str):
        description = body.get("error_description")
        message = description if isinstance(description, str) and description else code
        kind = errors.GrantRevoked if code == "invalid_grant" else errors.OAuthError
        return kind(message, status=status, code=code, permanent=True)
    return errors.error_for(status, body, headers)
