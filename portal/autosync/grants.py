"""A grant's life at AutoSync under the portal's registration (settings.AUTOSYNC_*): the consent
round trip (the authorize redirect with state and PKCE S256, the code exchange, through
authlib's Django client), the shops a new grant reaches, refresh and revoke.

The portal's apps call these and never speak OAuth themselves; what to store, and when to let
a grant go, is theirs (portal.shops.services)."""

from __future__ import annotations

import hashlib
import logging

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.views.decorators.debug import sensitive_variables

from . import conf, errors, oauth
from .oauth import TokenResponse
from .pages import iter_all
from .tokens import StaticToken

log = logging.getLogger(__name__)

# What the portal asks for, and why (shown on the connect page): the reads it mirrors, plus
# the writes a booking makes (`:write` implies `:read`). Nothing it does not use.
SCOPE_REASONS = {
    "shops:read": "See the shops you choose, their names and opening details.",
    "customers:write": "Keep a copy of your customers, and add one when they book online.",
    "vehicles:write": "Keep a copy of your customers' vehicles, and add one at booking.",
    "appointments:write": "Show your appointments, and book new ones for your customers.",
    "workorders:read": "Show work orders and their jobs to your team.",
    "payments:read": "Show what was paid on each work order.",
    "inventory:read": "Show parts in stock.",
    "employees:read": "Show who works on each job.",
}
SCOPES = " ".join(SCOPE_REASONS)
# A code exchange that may have completed unseen is presented this many more times (see
# `exchange`).
EXCHANGE_RETRIES = 2


class CodeRejected(Exception):
    """The token endpoint refused the code (expired, used, unknown): start again."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


# --- Consent --------------------------------------------------------------------------------


def _server_trouble_is_an_autosync_error(session) -> None:
    """A 5xx or 429 from the token endpoint is AutoSync's trouble, not a refused code: the
    typed error says whether the exchange may have happened (a 5xx) or surely did not (a
    429 is refused before it runs)."""

    def check(response: requests.Response) -> requests.Response:
        if response.status_code >= 500 or response.status_code == 429:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise errors.error_for(response.status_code, body, response.headers)
        return response

    session.register_compliance_hook("access_token_response", check)


def _client() -> DjangoOAuth2App:
    # Built per call: settings are read when used (tests and register_with_sandbox change them).
    return OAuth().register(
        name="autosync",
        client_id=settings.AUTOSYNC_CLIENT_ID,
        client_secret=settings.AUTOSYNC_CLIENT_SECRET,
        authorize_url=settings.AUTOSYNC_AUTHORIZE_URL,
        access_token_url=conf.token_url(),
        compliance_fix=_server_trouble_is_an_autosync_error,
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": settings.AUTOSYNC_TIMEOUT,
        },
    )


def authorize_redirect(request: HttpRequest, redirect_uri: str) -> HttpResponseRedirect:
    """Send the user to AutoSync's consent page, to come back to `redirect_uri`; the state and
    PKCE verifier go in the session."""
    return _client().authorize_redirect(request, redirect_uri)


def pop_state(request: HttpRequest, state: str) -> dict | None:
    """What `authorize_redirect` kept for `state`, removed so that it works once; None if
    this session never started that consent."""
    if not state:
        return None
    framework = _client().framework
    data = framework.get_state_data(request.session, state)
    framework.clear_state_data(request.session, state)
    return data


@sensitive_variables()
def exchange_code(state_data: dict, code: str) -> TokenResponse:
    """One exchange of `code`: the tokens, CodeRejected, or an errors.AutoSyncError."""
    try:
        token = _client().fetch_access_token(
            redirect_uri=state_data.get("redirect_uri"),
            code=code,
            code_verifier=state_data.get("code_verifier"),
        )
    except OAuthError as exc:
        raise CodeRejected(str(exc.error or "invalid_grant")) from None
    except requests.RequestException as exc:
        raise errors.from_exception(exc) from None
    except ValueError:
        # A body that is not JSON: a proxy's error page, a crashed server.
        raise errors.TransportError(
            "The token endpoint answered without JSON", ambiguous=True
        ) from None
    return TokenResponse.from_json(dict(token))


@sensitive_variables()
def exchange(state_data: dict, code: str) -> TokenResponse:
    """The tokens for `code`; CodeRejected, or an errors.AutoSyncError once no unseen grant
    can stay live.

    Codes are single use, so a failure that surely never reached AutoSync, or that AutoSync
    refused before running it (a refused connection, a 429, a 4xx), is final. A failure after
    the exchange may have reached AutoSync (a read timeout, a dropped connection, a 5xx) may
    have issued a grant the portal never saw; the contract makes a reused code revoke the
    tokens issued from it, so the code is sent again: either AutoSync never got the first
    exchange and this one succeeds, or it refuses the code and revokes what it issued."""
    for attempt in range(EXCHANGE_RETRIES + 1):
        try:
            return exchange_code(state_data, code)
        except CodeRejected:
            if attempt == 0:
                raise
            # The first exchange went through, and AutoSync has now revoked its grant.
            raise errors.TransportError(
                "AutoSync answered the code exchange too late", ambiguous=False
            ) from None
        except errors.AutoSyncError as exc:
            if not exc.ambiguous and attempt == 0:
                raise  # it never ran at AutoSync: nothing was issued
            if not exc.ambiguous or attempt == EXCHANGE_RETRIES:
                log.error(
                    "A consent code could not be confirmed or revoked (%r); a grant may stay "
                    "live at AutoSync until its tokens expire",
                    exc,
                )
                raise
            log.warning("A code exchange may have completed unseen (%r): sending it again", exc)
    raise AssertionError("the loop returns or raises")


@sensitive_variables()
def list_shops(access_token: str) -> list[dict]:
    """GET /v1/shops, every page: the shops a new grant reaches. The person who just approved
    is waiting, so the call is interactive; the grant is not stored yet, so its budget is
    keyed by a digest of the token."""
    digest = hashlib.sha256(access_token.encode()).hexdigest()[:16]
    client = conf.client(
        StaticToken(access_token), budget_key=f"consent:{digest}", priority="interactive"
    )
    return list(iter_all(client.list_shops, per_page=100))


# --- A stored grant -------------------------------------------------------------------------


@sensitive_variables()
def refresh_tokens(refresh_token: str) -> TokenResponse:
    """New tokens for a grant (raises errors.GrantRevoked when AutoSync refuses the grant)."""
    return oauth.refresh_tokens(
        conf.token_url(),
        settings.AUTOSYNC_CLIENT_ID,
        settings.AUTOSYNC_CLIENT_SECRET,
        refresh_token,
        timeout=settings.AUTOSYNC_TIMEOUT,
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
                timeout=settings.AUTOSYNC_TIMEOUT,
            )
        except errors.AutoSyncError as exc:
            log.warning("AutoSync did not confirm a revocation (try %s): %r", attempt, exc)
            if exc.permanent:
                return False
        else:
            return True
    return False


@sensitive_variables()
def revoke_issued(tokens: TokenResponse, attempts: int = 2) -> bool:
    """Revoke the grant of tokens just issued that the portal will not keep (by the refresh
    token, which ends the whole grant; by the access token when none came)."""
    if tokens.refresh_token:
        revoked = revoke(tokens.refresh_token, attempts=attempts)
    else:
        revoked = revoke(tokens.access_token, token_type_hint="access_token", attempts=attempts)  # noqa: S106
    if not revoked:
        log.error("A grant the portal did not keep could not be revoked at AutoSync")
    return revoked
