"""AutoSync's OAuth consent, client side: the authorize redirect (state + PKCE S256) and the
code exchange, through authlib's Django client."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from portal.autosync import conf, errors
from portal.autosync.oauth import TokenResponse
from portal.shops import remote, services
from portal.shops.models import Shop

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
# A code exchange that timed out may have completed at AutoSync: present the code this many
# more times (see `_exchange`).
EXCHANGE_RETRIES = 2


class CodeRejected(Exception):
    """The token endpoint refused the code (expired, used, unknown): start again."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def callback_url() -> str:
    return settings.PORTAL_BASE_URL + reverse("shops:connect-callback")


def _server_trouble_is_unavailable(session) -> None:
    """A 5xx or 429 from the token endpoint is AutoSync being down, not a refused code."""

    def check(response: requests.Response) -> requests.Response:
        if response.status_code >= 500 or response.status_code == 429:
            raise errors.ServerError(
                f"The token endpoint answered {response.status_code}",
                status=response.status_code,
                permanent=False,
            )
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
        compliance_fix=_server_trouble_is_unavailable,
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": remote.TIMEOUT,
        },
    )


def authorize_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Send the user to AutoSync's consent page; state and PKCE verifier go in the session."""
    return _client().authorize_redirect(request, callback_url())


def pop_state(request: HttpRequest, state: str) -> dict | None:
    """What `authorize_redirect` kept for `state`, removed so that it works once; None if
    this session never started that consent."""
    if not state:
        return None
    framework = _client().framework
    data = framework.get_state_data(request.session, state)
    framework.clear_state_data(request.session, state)
    return data


def exchange_code(state_data: dict, code: str) -> TokenResponse:
    """The tokens issued for `code`; CodeRejected, or a retryable errors.AutoSyncError."""
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


@dataclass
class ConsentResult:
    """How a consent round trip ended: `failure` (a reason the callback has a page for) and
    its `detail`, or `taken` (shops of another team), or the connected `shops`."""

    failure: str | None = None
    detail: str = ""
    taken: list[str] = field(default_factory=list)
    shops: list[Shop] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        return bool(self.shops)


@sensitive_variables()
def complete(user, state_data: dict, code: str) -> ConsentResult:
    """Exchange the code, list the shops the grant reaches and store them for `user`.

    Once tokens were issued, every way of not keeping them (a refusal, an error of AutoSync,
    a bug of ours) revokes the grant at AutoSync before returning or raising: a grant the
    portal does not keep must not stay live."""
    try:
        tokens = _exchange(state_data, code)
    except CodeRejected:
        return ConsentResult(failure="code")
    except errors.AutoSyncError as exc:
        log.warning("Exchanging a consent code failed: %r", exc)
        return ConsentResult(failure="refused" if exc.permanent else "down")
    try:
        result = _keep(user, tokens)
    except BaseException:
        _let_go(tokens)
        raise
    if not result.connected:
        _let_go(tokens)
    return result


@sensitive_variables()
def _exchange(state_data: dict, code: str) -> TokenResponse:
    """The tokens for `code`. An exchange that failed after it may have reached AutoSync (a
    timeout, a dropped connection, a 5xx) may have issued a grant the portal never saw. The
    contract makes a reused code revoke the tokens issued from it, so the code is sent again:
    either AutoSync never got the first exchange and this one succeeds, or it refuses the code
    and revokes what it issued. Either way no unseen grant stays live."""
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
                raise  # it never reached AutoSync, or AutoSync refused it: nothing was issued
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
def _keep(user, tokens: TokenResponse) -> ConsentResult:
    try:
        remote_shops = remote.list_shops(tokens.access_token)
    except errors.AutoSyncError as exc:
        log.warning("Listing the shops of a new grant failed: %r", exc)
        if isinstance(exc, errors.InsufficientScope):
            detail = "The shops list was not part of the grant."
            return ConsentResult(failure="refused", detail=detail)
        return ConsentResult(failure="refused" if exc.permanent else "down")
    if not remote_shops:
        return ConsentResult(failure="refused", detail="No shop was selected on AutoSync's page.")
    try:
        outcome = services.connect(user, tokens, remote_shops)
    except IntegrityError:
        # Another consent for the same new shops was saved at the same moment.
        return ConsentResult(failure="refused", detail="The shops were being connected twice.")
    if outcome.refused:
        return ConsentResult(taken=outcome.taken)
    return ConsentResult(shops=outcome.shops)


@sensitive_variables()
def _let_go(tokens: TokenResponse) -> None:
    """Revoke a grant the portal will not keep (the refresh token ends the whole grant)."""
    if tokens.refresh_token:
        revoked = remote.revoke(tokens.refresh_token, attempts=2)
    else:
        revoked = remote.revoke(tokens.access_token, token_type_hint="access_token", attempts=2)  # noqa: S106
    if not revoked:
        log.error("A grant the portal did not keep could not be revoked at AutoSync")
