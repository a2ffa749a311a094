"""The OAuth 2.0 authorization server over HTTP: consent, codes, tokens, rotation, revocation."""

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

# Registered redirect URIs. Nothing listens there: redirects are read, never followed.
CALLBACK = "http://127.0.0.1:9/oauth/callback"
OTHER_CALLBACK = "http://127.0.0.1:9/oauth/other-callback"
TIMEOUT = 30


# --- helpers ---------------------------------------------------------------------------------


def register(sandbox_db, name: str = "Bay Portal") -> dict:
    return json.loads(
        sandbox_db.command(
            "create_oauth_client",
            "--name",
            name,
            "--redirect-uri",
            CALLBACK,
            "--redirect-uri",
            OTHER_CALLBACK,
            "--json",
        )
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def location_query(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def consent_params(app: dict, **overrides) -> dict:
    params = {
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "shops:read customers:write",
        "state": "st-" + secrets.token_urlsafe(8),
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


class Visitor(requests.Session):
    """A browser on the sandbox that never follows redirects by itself."""

    def __init__(self, server):
        super().__init__()
        self.base_url = server.url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs["allow_redirects"] = False  # Session.get() would set True
        return super().request(method, f"{self.base_url}{url}", *args, **kwargs)


class Browser(Visitor):
    """A signed-in AutoSync user's browser."""

    def __init__(self, server, user: dict):
        super().__init__(server)
        page = self.get("/accounts/login/")
        answer = self.post(
            "/accounts/login/",
            data={
                "username": user["username"],
                "password": user["password"],
                "csrfmiddlewaretoken": csrf_token(page.text),
            },
        )
        assert answer.status_code == 302, "the seeded user could not sign in"

    def decide(
        self, params: dict, decision: str = "approve", shops: list[int] | None = None
    ) -> requests.Response:
        """Open the consent page for `params` and answer it (`shops`: those left ticked)."""
        page = self.get("/oauth/authorize", params=params)
        assert page.status_code == 200, page.text[:500]
        ticked = shops if shops is not None else re.findall(r'name="shop" value="(\d+)"', page.text)
        return self.post(
            page.url.removeprefix(self.base_url),
            data={
                "csrfmiddlewaretoken": csrf_token(page.text),
                "decision": decision,
                "shop": ticked,
            },
        )


def token_request(server, app: dict, data: dict, how: str = "form") -> requests.Response:
    """POST to the token endpoint with client credentials in the form, a JSON body or Basic."""
    url = f"{server.url}/v1/oauth/token"
    if how == "basic":
        return requests.post(
            url, data=data, auth=(app["client_id"], app["client_secret"]), timeout=TIMEOUT
        )
    body = {**data, "client_id": app["client_id"], "client_secret": app["client_secret"]}
    if how == "json":
        return requests.post(url, json=body, timeout=TIMEOUT)
    return requests.post(url, data=body, timeout=TIMEOUT)


def exchange(server, app: dict, code: str, verifier: str | None, how: str = "form"):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    if verifier:
        data["code_verifier"] = verifier
    return token_request(server, app, data, how)


def refresh(server, app: dict, refresh_token: str, how: str = "form") -> requests.Response:
    return token_request(
        server, app, {"grant_type": "refresh_token", "refresh_token": refresh_token}, how
    )


def revoke(server, app: dict, token: str, hint: str | None = None) -> requests.Response:
    data = {"token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]}
    if hint:
        data["token_type_hint"] = hint
    return requests.post(f"{server.url}/v1/oauth/revoke", data=data, timeout=TIMEOUT)


def connect(server, browser: Browser, app: dict, shops=None, **params) -> dict:
    """The whole flow with PKCE: consent, then the code exchanged for tokens."""
    verifier, challenge = pkce_pair()
    query = location_query(
        browser.decide(
            consent_params(app, code_challenge=challenge, code_challenge_method="S256", **params),
            shops=shops,
        )
    )
    answer = exchange(server, app, query["code"], verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def concurrently(count: int, call) -> list[requests.Response]:
    """`count` threads released together, each making `call()`; their answers."""
    barrier = threading.Barrier(count)
    answers: list[requests.Response] = []

    def attempt() -> None:
        barrier.wait()
        answers.append(call())

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def assert_oauth_error(response: requests.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert "success" not in body


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(sandbox_db) -> dict:
    return register(sandbox_db)


@pytest.fixture(scope="module")
def browser(live_sandbox, johnsons) -> Browser:
    return Browser(live_sandbox, johnsons["users"][0])


@pytest.fixture
def tokens(live_sandbox, browser, app) -> dict:
    return connect(live_sandbox, browser, app)


# --- registration and metadata ---------------------------------------------------------------


def test_registering_a_client_prints_its_credentials_once_as_json(sandbox_db):
    app = register(sandbox_db, "Another Portal")
    assert app["client_id"].startswith("ci_")
    assert app["client_secret"].startswith("cs_")
    assert app["webhook_secret"].startswith("whsec_")
    assert app["redirect_uris"] == [CALLBACK, OTHER_CALLBACK]


def test_registering_a_client_refuses_a_redirect_uri_with_a_fragment(sandbox_db):
    with pytest.raises(RuntimeError, match="fragment"):
        sandbox_db.command(
            "create_oauth_client", "--name", "X", "--redirect-uri", "https://x.test/cb#f"
        )


def test_the_metadata_document_describes_the_server(live_sandbox, monkeypatch):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    answer = requests.get(
        f"{live_sandbox.url}/.well-known/oauth-authorization-server", timeout=TIMEOUT
    )
    assert answer.status_code == 200
    metadata = answer.json()
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox is served over HTTP
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == live_sandbox.url
    assert metadata["authorization_endpoint"] == f"{live_sandbox.url}/oauth/authorize"
    assert metadata["token_endpoint"] == f"{live_sandbox.url}/v1/oauth/token"
    assert metadata["revocation_endpoint"] == f"{live_sandbox.url}/v1/oauth/revoke"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert "workorders:write" in metadata["scopes_supported"]


# --- the authorize endpoint ------------------------------------------------------------------


def test_a_visitor_who_is_not_signed_in_goes_through_the_login_page_and_back(
    live_sandbox, app, johnsons
):
    visitor = Visitor(live_sandbox)
    first = visitor.get("/oauth/authorize", params=consent_params(app))
    assert first.status_code == 302, first.text
    login_url = first.headers["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    page = visitor.get(login_url)
    assert "Sign in to AutoSync" in page.text
    user = johnsons["users"][0]
    signed_in = visitor.post(
        login_url,
        data={
            "username": user["username"],
            "password": user["password"],
            "csrfmiddlewaretoken": csrf_token(page.text),
            "next": parse_qs(urlsplit(login_url).query)["next"][0],
        },
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].startswith("/oauth/authorize?")
    consent = visitor.get(signed_in.headers["Location"])
    assert consent.status_code == 200
    assert "Bay Portal" in consent.text


def test_a_wrong_password_shows_the_login_page_again(live_sandbox, johnsons):
    visitor = Visitor(live_sandbox)
    page = visitor.get("/accounts/login/")
    answer = visitor.post(
        "/accounts/login/",
        data={
            "username": johnsons["users"][0]["username"],
            "password": "not-the-password",
            "csrfmiddlewaretoken": csrf_token(page.text),
        },
    )
    assert answer.status_code == 200
    assert "did not match" in answer.text


def test_the_consent_page_names_the_client_the_scopes_in_words_and_ticks_every_shop(
    browser, app, johnsons
):
    page = browser.get("/oauth/authorize", params=consent_params(app))
    assert page.status_code == 200
    assert "Bay Portal" in page.text
    assert "See your shops" in page.text
    assert "Add and change customers" in page.text
    for shop in johnsons["shops"]:
        assert f'value="{shop["id"]}" id="shop-{shop["id"]}" checked' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"


def test_approving_redirects_with_a_code_and_the_state_unchanged(browser, app):
    params = consent_params(app, state="a b/c?=&ü")
    query = location_query(browser.decide(params))
    assert query["state"] == "a b/c?=&ü"
    assert len(query["code"]) >= 32
    assert browser.decide(params).headers["Location"].startswith(f"{CALLBACK}?")


def test_denying_redirects_with_access_denied_and_the_state(browser, app):
    params = consent_params(app)
    query = location_query(browser.decide(params, decision="deny"))
    assert query["error"] == "access_denied"
    assert query["state"] == params["state"]
    assert "code" not in query


def test_approving_with_no_shop_ticked_shows_the_form_again_with_a_message(browser, app):
    answer = browser.decide(consent_params(app), shops=[])
    assert answer.status_code == 422
    assert "Tick at least one shop" in answer.text
    assert "Location" not in answer.headers


def test_the_consent_form_refuses_a_post_without_its_csrf_token(browser, app):
    answer = browser.post(
        "/oauth/authorize", params=consent_params(app), data={"decision": "approve", "shop": "1"}
    )
    assert answer.status_code == 403
    assert "Location" not in answer.headers


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("an unknown client", {"client_id": "ci_nobody"}),
        ("no client", {"client_id": None}),
        ("an unregistered redirect URI", {"redirect_uri": "https://evil.test/cb"}),
        ("a redirect URI that only starts like one", {"redirect_uri": CALLBACK + "/x"}),
        ("a redirect URI with a trailing slash", {"redirect_uri": CALLBACK + "/"}),
        ("a redirect URI with a quote", {"redirect_uri": CALLBACK + '"'}),
        ("no redirect URI", {"redirect_uri": None}),
        ("a response type other than code", {"response_type": "token"}),
        ("no response type", {"response_type": None}),
        ("a plain PKCE challenge", {"code_challenge": "a" * 43, "code_challenge_method": "plain"}),
        ("a PKCE challenge without a method", {"code_challenge": "a" * 43}),
        ("a PKCE method without a challenge", {"code_challenge_method": "S256"}),
        ("a NUL character in the client id", {"client_id": "ci_\x00"}),
    ],
)
def test_a_bad_authorize_request_is_an_error_page_and_never_a_redirect(
    browser, live_sandbox, app, case, overrides
):
    params = consent_params(app, **overrides)
    for session in (browser, Visitor(live_sandbox)):  # signed in or not
        answer = session.get("/oauth/authorize", params=params)
        assert answer.status_code == 400, case
        assert "Location" not in answer.headers
        assert "This authorization request is not valid" in answer.text


def test_an_unknown_scope_is_redirected_back_with_invalid_scope_and_the_state(browser, app):
    params = consent_params(app, scope="shops:read shops:destroy")
    answer = browser.get("/oauth/authorize", params=params)
    assert answer.headers["Location"].startswith(f"{CALLBACK}?")
    query = location_query(answer)
    assert query["error"] == "invalid_scope"
    assert query["state"] == params["state"]


def test_a_request_without_scope_is_redirected_back_with_invalid_scope(browser, app):
    query = location_query(browser.get("/oauth/authorize", params=consent_params(app, scope=None)))
    assert query["error"] == "invalid_scope"


# --- the token endpoint and the API ----------------------------------------------------------


def test_a_code_exchanged_with_pkce_gives_tokens_as_rfc_6749_says(live_sandbox, browser, app):
    verifier, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(browser.decide(params))["code"]
    answer = exchange(live_sandbox, app, code, verifier)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "shops:read customers:write"


def test_a_token_reaches_only_the_shops_left_ticked(
    live_sandbox, browser, app, johnsons, stranger, api_for
):
    kept, unticked = johnsons["shops"][0]["id"], johnsons["shops"][1]["id"]
    tokens = connect(live_sandbox, browser, app, shops=[kept])
    api = api_for(tokens["access_token"])
    listed = api.get("/shops")
    assert listed.status_code == 200, listed.text
    assert [shop["id"] for shop in listed.json()["data"]] == [kept]
    assert api.get(f"/shops/{kept}").status_code == 200
    for shop_id in (unticked, stranger["shops"][0]["id"]):
        answer = api.get(f"/shops/{shop_id}")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_a_token_answers_403_insufficient_scope_outside_its_scopes(
    live_sandbox, browser, app, johnsons, api_for
):
    tokens = connect(live_sandbox, browser, app)  # shops:read customers:write
    api = api_for(tokens["access_token"])
    shop_id = johnsons["shops"][0]["id"]
    assert api.get(f"/shops/{shop_id}/customers").status_code == 200  # write implies read
    answer = api.get(f"/shops/{shop_id}/workorders")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.parametrize("how", ["form", "json", "basic"])
def test_the_token_endpoint_takes_form_and_json_bodies_and_basic_credentials(
    live_sandbox, browser, app, how
):
    verifier, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(browser.decide(params))["code"]
    answer = exchange(live_sandbox, app, code, verifier, how=how)
    assert answer.status_code == 200, answer.text
    again = refresh(live_sandbox, app, answer.json()["refresh_token"], how=how)
    assert again.status_code == 200, again.text


def test_a_wrong_client_secret_is_invalid_client(live_sandbox, app, tokens):
    wrong = {**app, "client_secret": "cs_wrong"}
    assert_oauth_error(
        refresh(live_sandbox, wrong, tokens["refresh_token"], how="basic"), 401, "invalid_client"
    )
    assert_oauth_error(refresh(live_sandbox, wrong, tokens["refresh_token"]), 401, "invalid_client")
    unknown = {**app, "client_id": "ci_nobody"}
    assert_oauth_error(
        refresh(live_sandbox, unknown, tokens["refresh_token"]), 401, "invalid_client"
    )
    assert refresh(live_sandbox, app, tokens["refresh_token"]).status_code == 200  # untouched


def test_an_unknown_grant_type_is_unsupported_grant_type(live_sandbox, app):
    answer = token_request(live_sandbox, app, {"grant_type": "password"})
    assert_oauth_error(answer, 400, "unsupported_grant_type")


def test_the_token_endpoint_refuses_get_and_malformed_json(live_sandbox):
    url = f"{live_sandbox.url}/v1/oauth/token"
    assert requests.get(url, timeout=TIMEOUT).status_code == 405
    answer = requests.post(
        url, data="{nope", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert_oauth_error(answer, 400, "invalid_request")
    answer = requests.post(url, json=["grant_type"], timeout=TIMEOUT)
    assert_oauth_error(answer, 400, "invalid_request")


def test_a_wrong_code_verifier_is_invalid_grant(live_sandbox, browser, app):
    _, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(browser.decide(params))["code"]
    assert_oauth_error(exchange(live_sandbox, app, code, pkce_pair()[0]), 400, "invalid_grant")


def test_a_code_issued_with_a_challenge_requires_the_verifier(live_sandbox, browser, app):
    _, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(browser.decide(params))["code"]
    assert_oauth_error(exchange(live_sandbox, app, code, None), 400, "invalid_request")


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(live_sandbox, browser, app):
    code = location_query(browser.decide(consent_params(app)))["code"]
    assert_oauth_error(exchange(live_sandbox, app, code, pkce_pair()[0]), 400, "invalid_request")
    # ...and without one, such a code is exchanged as RFC 6749 describes.
    code = location_query(browser.decide(consent_params(app)))["code"]
    assert exchange(live_sandbox, app, code, None).status_code == 200


def test_a_code_is_bound_to_its_redirect_uri_and_its_client(live_sandbox, browser, app, sandbox_db):
    code = location_query(browser.decide(consent_params(app)))["code"]
    other_uri = token_request(
        live_sandbox,
        app,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": OTHER_CALLBACK},
    )
    assert_oauth_error(other_uri, 400, "invalid_grant")
    other_client = register(sandbox_db, "Someone Else")
    assert_oauth_error(exchange(live_sandbox, other_client, code, None), 400, "invalid_grant")
    assert exchange(live_sandbox, app, code, None).status_code == 200


def test_a_code_works_once_and_its_reuse_revokes_the_tokens_it_gave(
    live_sandbox, browser, app, api_for
):
    verifier, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(browser.decide(params))["code"]
    tokens = exchange(live_sandbox, app, code, verifier).json()
    api = api_for(tokens["access_token"])
    assert api.get("/shops").status_code == 200
    assert_oauth_error(exchange(live_sandbox, app, code, verifier), 400, "invalid_grant")
    answer = api.get("/shops")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_token"
    assert_oauth_error(refresh(live_sandbox, app, tokens["refresh_token"]), 400, "invalid_grant")


def test_concurrent_exchanges_of_one_code_give_tokens_once_and_revoke_them(
    live_sandbox, browser, app, api_for
):
    code = location_query(browser.decide(consent_params(app)))["code"]
    answers = concurrently(10, lambda: exchange(live_sandbox, app, code, None))
    assert sorted(answer.status_code for answer in answers) == [200] + [400] * 9
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    assert api_for(winner["access_token"]).get("/shops").status_code == 401


# --- refresh tokens --------------------------------------------------------------------------


def test_a_refresh_rotates_the_refresh_token(live_sandbox, app, tokens, api_for):
    answer = refresh(live_sandbox, app, tokens["refresh_token"])
    assert answer.status_code == 200, answer.text
    renewed = answer.json()
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert renewed["access_token"] != tokens["access_token"]
    assert renewed["scope"] == tokens["scope"]
    assert api_for(renewed["access_token"]).get("/shops").status_code == 200
    again = refresh(live_sandbox, app, renewed["refresh_token"])
    assert again.status_code == 200


@pytest.fixture
def graceless(start_sandbox):
    """A sandbox without the refresh grace period: a spent refresh token is a replay at once."""
    return start_sandbox(SANDBOX_REFRESH_GRACE="0")


def test_replaying_a_used_refresh_token_revokes_the_whole_grant(graceless, app, johnsons, api_for):
    tokens = connect(graceless, Browser(graceless, johnsons["users"][0]), app)
    renewed = refresh(graceless, app, tokens["refresh_token"]).json()
    replay = refresh(graceless, app, tokens["refresh_token"])
    assert_oauth_error(replay, 400, "invalid_grant")
    for access_token in (tokens["access_token"], renewed["access_token"]):
        answer = api_for(access_token).get("/shops")
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "invalid_token"
    assert_oauth_error(refresh(graceless, app, renewed["refresh_token"]), 400, "invalid_grant")


def test_a_refresh_token_is_bound_to_its_client(live_sandbox, app, tokens, sandbox_db):
    other_client = register(sandbox_db, "Token Thief")
    answer = refresh(live_sandbox, other_client, tokens["refresh_token"])
    assert_oauth_error(answer, 400, "invalid_grant")
    assert refresh(live_sandbox, app, tokens["refresh_token"]).status_code == 200


def test_twenty_concurrent_refreshes_of_one_token_let_exactly_one_win_and_kill_the_grant(
    graceless, app, johnsons, api_for
):
    tokens = connect(graceless, Browser(graceless, johnsons["users"][0]), app)
    answers = concurrently(20, lambda: refresh(graceless, app, tokens["refresh_token"]))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [400] * 19
    assert {answer.json()["error"] for answer in answers if answer.status_code == 400} == {
        "invalid_grant"
    }
    # The losers presented a spent refresh token: a replay, so the grant is revoked (RFC 9700).
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    assert api_for(winner["access_token"]).get("/shops").status_code == 401


# --- revocation and expiry -------------------------------------------------------------------


def test_revoking_an_access_token_ends_it_but_not_the_grant(live_sandbox, app, tokens, api_for):
    answer = revoke(live_sandbox, app, tokens["access_token"], hint="access_token")
    assert answer.status_code == 200
    assert api_for(tokens["access_token"]).get("/shops").status_code == 401
    renewed = refresh(live_sandbox, app, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert api_for(renewed.json()["access_token"]).get("/shops").status_code == 200


def test_revoking_a_refresh_token_revokes_the_grant(live_sandbox, app, tokens, api_for):
    assert revoke(live_sandbox, app, tokens["refresh_token"]).status_code == 200
    assert api_for(tokens["access_token"]).get("/shops").status_code == 401
    assert_oauth_error(refresh(live_sandbox, app, tokens["refresh_token"]), 400, "invalid_grant")


def test_revoking_answers_200_for_unknown_tokens_and_leaves_other_clients_tokens_alone(
    live_sandbox, app, tokens, sandbox_db, api_for
):
    assert revoke(live_sandbox, app, "no-such-token", hint="bogus_hint").status_code == 200
    other_client = register(sandbox_db, "Meddler")
    assert revoke(live_sandbox, other_client, tokens["access_token"]).status_code == 200
    assert revoke(live_sandbox, other_client, tokens["refresh_token"]).status_code == 200
    assert api_for(tokens["access_token"]).get("/shops").status_code == 200


def test_revoking_needs_client_credentials_and_a_token(live_sandbox, app, tokens):
    url = f"{live_sandbox.url}/v1/oauth/revoke"
    answer = requests.post(
        url, data={"token": tokens["access_token"]}, auth=(app["client_id"], "cs_wrong"), timeout=30
    )
    assert_oauth_error(answer, 401, "invalid_client")
    answer = requests.post(url, data={}, auth=(app["client_id"], app["client_secret"]), timeout=30)
    assert_oauth_error(answer, 400, "invalid_request")


def test_an_access_token_expires_after_the_configured_lifetime(
    start_sandbox, app, johnsons, api_for
):
    server = start_sandbox(SANDBOX_TOKEN_TTL="2")
    tokens = connect(server, Browser(server, johnsons["users"][1]), app)
    assert tokens["expires_in"] == 2
    api = api_for(tokens["access_token"], server=server)
    assert api.get("/shops").status_code == 200
    time.sleep(2.5)
    answer = api.get("/shops")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_token"
    renewed = refresh(server, app, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert api_for(renewed.json()["access_token"], server=server).get("/shops").status_code == 200


def test_a_code_expires_after_the_configured_lifetime(start_sandbox, app, johnsons):
    server = start_sandbox(SANDBOX_CODE_TTL="1")
    verifier, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(Browser(server, johnsons["users"][1]).decide(params))["code"]
    time.sleep(1.5)
    assert_oauth_error(exchange(server, app, code, verifier), 400, "invalid_grant")


# --- the account's authorized applications ---------------------------------------------------


def test_the_applications_page_lists_a_grant_and_revokes_it(
    live_sandbox, browser, sandbox_db, api_for, johnsons
):
    app = register(sandbox_db, "Revocable Portal")
    tokens = connect(live_sandbox, browser, app, shops=[johnsons["shops"][1]["id"]])
    page = browser.get("/account/applications/")
    assert page.status_code == 200
    row = page.text[page.text.index("Revocable Portal") :]
    assert johnsons["shops"][1]["name"].replace("'", "&#x27;") in row
    assert "Add and change customers" in row
    action = re.search(r'<form method="post" action="([^"]+)">', row).group(1)
    forged = browser.post(action, data={})
    assert forged.status_code == 403  # CSRF
    answer = browser.post(action, data={"csrfmiddlewaretoken": csrf_token(page.text)})
    assert answer.status_code == 302
    assert api_for(tokens["access_token"]).get("/shops").status_code == 401
    after = browser.get("/account/applications/").text
    assert "Revocable Portal can no longer reach your shops." in after
    assert action not in after


def test_the_applications_page_needs_a_signed_in_user(live_sandbox):
    answer = Visitor(live_sandbox).get("/account/applications/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/accounts/login/")


def test_a_user_cannot_revoke_another_accounts_grant(live_sandbox, browser, app, stranger, api_for):
    tokens = connect(live_sandbox, browser, app)
    outsider = Browser(live_sandbox, stranger["users"][0])
    page = outsider.get("/account/applications/")
    grant_ids = re.findall(
        r"/account/applications/(\d+)/revoke", browser.get("/account/applications/").text
    )
    for grant_id in grant_ids:
        outsider.post(
            f"/account/applications/{grant_id}/revoke",
            data={"csrfmiddlewaretoken": csrf_token(page.text)},
        )
    assert api_for(tokens["access_token"]).get("/shops").status_code == 200
