"""AutoSync's failures as typed errors, classified permanent or retryable in one place."""

from __future__ import annotations

import time
from typing import Any

import requests


class AutoSyncError(Exception):
    """A call to AutoSync failed.

    `permanent`: sending the same request again cannot succeed. `ambiguous`: the request may
    have taken effect on the server although no success came back (a create must then look
    for its record before it is sent again). `retry_after`: seconds to wait, when known.
    """

    ambiguous = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        permanent: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.permanent = permanent
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, code={self.code!r})"


class Unauthorized(AutoSyncError):
    """401: the credential was refused. The client refreshes an OAuth token once, then gives up."""


class InvalidToken(Unauthorized):
    """401 `invalid_token`: the access token expired or was revoked."""


class InsufficientScope(AutoSyncError):
    """403: the grant lacks the scope the endpoint needs; the shop must reconnect to add it."""


class NotFound(AutoSyncError):
    """404: no such record, or a shop the credential does not reach (AutoSync won't say which)."""


class InvalidRequest(AutoSyncError):
    """400 or 422: AutoSync refused the input; `field` names the culprit when it says so."""


class RateLimited(AutoSyncError):
    """429: the request was refused before it ran (so even a create may be sent again)."""


class ServerError(AutoSyncError):
    """5xx: AutoSync failed, possibly after it committed the change."""

    ambiguous = True


class TransportError(AutoSyncError):
    """No usable answer: a timeout, a dropped connection or a body that is not the envelope."""

    def __init__(self, message: str, *, ambiguous: bool, status: int | None = None) -> None:
        super().__init__(message, status=status, permanent=False)
        self.ambiguous = ambiguous


class BudgetExhausted(AutoSyncError):
    """Not sent: the shared rate budget has no room within the caller's time limit."""


class ReconnectRequired(AutoSyncError):
    """The grant is gone (revoked, or a refresh failed for good): the shop must connect again."""


class GrantRevoked(ReconnectRequired):
    """The token endpoint answered `invalid_grant` to a refresh token."""


class OAuthError(AutoSyncError):
    """The token endpoint refused a request for another reason (e.g. `invalid_client`)."""


def from_exception(exc: requests.RequestException) -> TransportError:
    """The TransportError for a request that got no answer."""
    if isinstance(exc, requests.ConnectTimeout) or _refused(exc):
        # The request never left: sending it again cannot duplicate anything.
        return TransportError(f"Could not connect to AutoSync: {exc}", ambiguous=False)
    if isinstance(exc, requests.Timeout):
        return TransportError("AutoSync did not answer in time", ambiguous=True)
    return TransportError(f"The connection to AutoSync failed: {exc}", ambiguous=True)


def _refused(exc: requests.RequestException) -> bool:
    from urllib3.exceptions import NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def envelope(response: requests.Response) -> dict[str, Any]:
    """The success envelope of `response`, or the typed error it stands for."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if 200 <= status < 300:
        if isinstance(body, dict) and body.get("success") is True and "data" in body:
            return body
        # A proxy's page, or a reply cut short: the call may well have happened.
        raise TransportError(
            f"AutoSync answered {status} without the envelope", ambiguous=True, status=status
        )
    raise error_for(status, body, response.headers)


def error_for(status: int, body: Any, headers: Any) -> AutoSyncError:
    """The error for a non-2xx answer: status first, the envelope's `code` refines it."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    field = error.get("field") if isinstance(error.get("field"), str) else None
    message = message or f"AutoSync answered {status}"
    details = {"status": status, "code": code}

    if status == 401:
        kind = InvalidToken if code == "invalid_token" else Unauthorized
        return kind(message, **details, permanent=True)
    if status == 403:
        return InsufficientScope(message, **details, permanent=True)
    if status == 404:
        return NotFound(message, **details, permanent=True)
    if status in (400, 422):
        return InvalidRequest(message, **details, field=field, permanent=True)
    if status == 429:
        return RateLimited(message, **details, permanent=False, retry_after=retry_after(headers))
    if status >= 500:
        return ServerError(message, **details, permanent=False)
    return AutoSyncError(message, **details, permanent=True)


def retry_after(headers: Any) -> float | None:
    """Seconds to wait after a 429: `Retry-After`, else until `X-RateLimit-Reset`."""
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return max(0.0, float(headers["X-RateLimit-Reset"]) - time.time())
    except (KeyError, TypeError, ValueError):
        return None
