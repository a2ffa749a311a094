"""AutoSync's OAuth consent, client side: the authorize redirect (state + PKCE S256) and the
code exchange, through authlib's Django client."""

from __future__ import annotations

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from portal.autosync import conf, errors
from portal.autosync.oauth import TokenResponse
from portal.shops import remote

# Everything the portal mirrors, plus the writes a booking makes (`:write` implies `:read`).
SCOPES = (
    "shops:read customers:write vehicles:write workorders:read appointments:write "
    "payments:read inventory:read employees:read"
)


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
