"""Refresh and revoke at the live token endpoint, and the client's one refresh after a 401."""

import base64
import hashlib
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings

from portal.autosync import errors, oauth
from portal.autosync.budget import MemoryBudget
from portal.autosync.client import AutoSyncClient
from portal.autosync.oauth import TokenResponse

CALLBACK = "http://127.0.0.1:9/callback"  # nothing listens: the redirect is read, not followed


@pytest.fixture(scope="module")
def app(sandbox_db) -> dict:
    """This package's client application, registered at the sandbox."""
    return json.loads(
        sandbox_db.command(
            "create_oauth_client", "--name", "Client tests", "--redirect-uri", CALLBACK, "--json"
        )
    )


@pytest.fixture
def connect(live_sandbox, app, johnsons):
    """`connect(scope)`: Johnson's user consents in a browser-like session; the tokens."""

    def run(scope: str) -> TokenResponse:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        browser = requests.Session()
        query = {
            "client_id": app["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": scope,
            "state": "s",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        login = browser.get(f"{live_sandbox.url}/oauth/authorize", params=query, timeout=30)
        user = johnsons["users"][0]
        consent = browser.post(
            login.url,
            timeout=30,
            headers={"Referer": login.url},
            data={
                "username": user["username"],
                "password": user["password"],
                "next": parse_qs(urlsplit(login.url).query)["next"][0],
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
        )
        answer = browser.post(
            consent.url,
            timeout=30,
            allow_redirects=False,
            headers={"Referer": consent.url},
            data={
                "decision": "approve",
                "shop": re.findall(r'name="shop" value="(\d+)"', consent.text),
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
        )
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        exchanged = requests.post(
            oauth.token_url(live_sandbox.api_url),
            timeout=30,
            json={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "code_verifier": verifier,
            },
        )
        assert exchanged.status_code == 200, exchanged.text
        return TokenResponse.from_json(exchanged.json())

    return run


class Grant:
    """A TokenSource over an OAuth grant: the smallest correct one (no concurrency)."""

    def __init__(self, server, app: dict, tokens: TokenResponse):
        self.server, self.app, self.tokens = server, app, tokens
        self.refreshes = 0

    def access_token(self) -> str:
        return self.tokens.access_token

    def refresh(self, rejected_token: str) -> str:
        self.refreshes += 1
        self.tokens = oauth.refresh_tokens(
            oauth.token_url(self.server.api_url),
            self.app["client_id"],
            self.app["client_secret"],
            self.tokens.refresh_token,
            timeout=settings.AUTOSYNC_TIMEOUT,
        )
        return self.tokens.access_token


def refresh(url: str, app: dict, refresh_token: str) -> TokenResponse:
    return oauth.refresh_tokens(
        url,
        app["client_id"],
        app["client_secret"],
        refresh_token,
        timeout=settings.AUTOSYNC_TIMEOUT,
    )


def client_of(server, grant: Grant) -> AutoSyncClient:
    return AutoSyncClient(
        server.api_url,
        grant,
        budget=MemoryBudget(),
        budget_key="grant",
        timeout=settings.AUTOSYNC_TIMEOUT,
    )


def revoke(server, app: dict, token: str, hint: str) -> None:
    oauth.revoke(
        oauth.revoke_url(server.api_url),
        app["client_id"],
        app["client_secret"],
        token,
        hint,
        timeout=settings.AUTOSYNC_TIMEOUT,
    )


def test_the_oauth_endpoints_derive_from_the_api_base():
    assert oauth.token_url("https://api.autosyncshopmanager.com/v1/") == (
        "https://api.autosyncshopmanager.com/v1/oauth/token"
    )
    assert oauth.revoke_url("https://api.autosyncshopmanager.com/v1") == (
        "https://api.autosyncshopmanager.com/v1/oauth/revoke"
    )


def test_a_refresh_issues_new_tokens_and_rotates_the_refresh_token(live_sandbox, app, connect):
    first = connect("shops:read customers:read")
    second = oauth.refresh_tokens(
        oauth.token_url(live_sandbox.api_url),
        app["client_id"],
        app["client_secret"],
        first.refresh_token,
        timeout=settings.AUTOSYNC_TIMEOUT,
    )
    assert second.access_token != first.access_token
    assert second.refresh_token not in (None, first.refresh_token)
    assert set(second.scope.split()) == {"shops:read", "customers:read"}
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    assert abs(second.expires_at - in_an_hour) < timedelta(minutes=1)
    assert second.access_token not in repr(second)  # tokens stay out of logs and tracebacks
    assert second.refresh_token not in repr(second)


def test_a_used_refresh_token_raises_grant_revoked(live_sandbox, app, connect):
    first = connect("shops:read")
    url = oauth.token_url(live_sandbox.api_url)
    second = refresh(url, app, first.refresh_token)
    # Once its successor has been used, the first refresh token is past AutoSync's grace
    # period (a lost answer may be asked for again only until then).
    refresh(url, app, second.refresh_token)
    with pytest.raises(errors.GrantRevoked) as info:
        refresh(url, app, first.refresh_token)
    assert info.value.code == "invalid_grant" and info.value.permanent
    assert isinstance(info.value, errors.ReconnectRequired)


def test_a_wrong_client_secret_is_a_permanent_oauth_error(live_sandbox, app, connect):
    tokens = connect("shops:read")
    with pytest.raises(errors.OAuthError) as info:
        oauth.refresh_tokens(
            oauth.token_url(live_sandbox.api_url),
            app["client_id"],
            "cs_wrong",
            tokens.refresh_token,
            timeout=settings.AUTOSYNC_TIMEOUT,
        )
    assert info.value.code == "invalid_client" and info.value.permanent


def test_a_missing_scope_raises_insufficient_scope(live_sandbox, app, connect, shop_id):
    api = AutoSyncClient(
        live_sandbox.api_url,
        Grant(live_sandbox, app, connect("shops:read")),
        budget=MemoryBudget(),
        budget_key="grant",
        timeout=settings.AUTOSYNC_TIMEOUT,
    )
    assert api.get_shop(shop_id)["id"] == shop_id
    with pytest.raises(errors.InsufficientScope) as info:
        api.list_vehicles(shop_id)
    assert info.value.status == 403 and info.value.code == "insufficient_scope"


def test_a_refused_access_token_is_refreshed_once_and_the_call_retried(
    live_sandbox, app, connect, shop_id
):
    grant = Grant(live_sandbox, app, connect("shops:read"))
    revoke(live_sandbox, app, grant.tokens.access_token, "access_token")
    api = client_of(live_sandbox, grant)
    assert api.get_shop(shop_id)["id"] == shop_id
    assert (grant.refreshes, api.requests_made) == (1, 2)


def test_a_grant_the_shop_revoked_raises_reconnect_required(live_sandbox, app, connect, shop_id):
    grant = Grant(live_sandbox, app, connect("shops:read"))
    revoke(live_sandbox, app, grant.tokens.refresh_token, "refresh_token")
    api = client_of(live_sandbox, grant)
    with pytest.raises(errors.ReconnectRequired):
        api.get_shop(shop_id)
    assert grant.refreshes == 1


def test_revoking_an_unknown_token_succeeds_quietly(live_sandbox, app):
    revoke(live_sandbox, app, "rt_unknown", "refresh_token")


def test_a_token_answer_is_read_from_json_or_from_authlib():
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    body = {
        "access_token": "a",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": "r",
        "scope": "shops:read",
    }
    assert TokenResponse.from_json(body, issued_at=issued) == TokenResponse(
        "a", "r", issued + timedelta(hours=1), "shops:read"
    )
    authlib_token = {**body, "expires_at": int(issued.timestamp()) + 60}
    assert TokenResponse.from_json(authlib_token).expires_at == issued + timedelta(seconds=60)
    with pytest.raises(errors.TransportError):
        TokenResponse.from_json({"error": "nope"})
