"""The authorization server as a careful AutoSync runs it: replays that cannot be used against
someone else, a token endpoint that never crashes and has a budget per client, and a consent
flow that survives signing out."""

import html
import re
import time

import pytest
import requests

from tests.sandbox.test_oauth import (
    CALLBACK,
    OTHER_CALLBACK,
    TIMEOUT,
    Browser,
    Visitor,
    assert_oauth_error,
    concurrently,
    connect,
    consent_params,
    csrf_token,
    exchange,
    location_query,
    pkce_pair,
    refresh,
    register,
    token_request,
)


@pytest.fixture(scope="module")
def app(sandbox_db) -> dict:
    return register(sandbox_db, "Careful Portal")


@pytest.fixture(scope="module")
def browser(live_sandbox, johnsons) -> Browser:
    return Browser(live_sandbox, johnsons["users"][0])


# --- replayed codes --------------------------------------------------------------------------


def test_a_replayed_code_without_its_verifier_or_redirect_uri_is_refused_and_the_grant_lives(
    live_sandbox, browser, app, api_for
):
    verifier, challenge = pkce_pair()
    params = consent_params(app, code_challenge=challenge, code_challenge_method="S256")
    code = location_query(browser.decide(params))["code"]
    tokens = exchange(live_sandbox, app, code, verifier).json()
    api = api_for(tokens["access_token"])

    # Someone who found the used callback URL replays it through the client.
    replays = {
        "no verifier": exchange(live_sandbox, app, code, None),
        "another verifier": exchange(live_sandbox, app, code, pkce_pair()[0]),
        "a malformed verifier": exchange(live_sandbox, app, code, "short"),
        "another redirect URI": token_request(
            live_sandbox,
            app,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": OTHER_CALLBACK,
                "code_verifier": verifier,
            },
        ),
    }
    for case, replay in replays.items():
        assert_oauth_error(replay, 400, "invalid_grant")
        assert api.get("/shops").status_code == 200, f"{case} revoked the grant"

    # The flow that obtained the code replaying it still revokes, as RFC 6749 §4.1.2 says.
    assert_oauth_error(exchange(live_sandbox, app, code, verifier), 400, "invalid_grant")
    assert api.get("/shops").status_code == 401


def test_a_replayed_code_issued_without_a_challenge_revokes_only_with_its_redirect_uri(
    live_sandbox, browser, app, api_for
):
    code = location_query(browser.decide(consent_params(app)))["code"]
    tokens = exchange(live_sandbox, app, code, None).json()
    api = api_for(tokens["access_token"])
    assert_oauth_error(exchange(live_sandbox, app, code, pkce_pair()[0]), 400, "invalid_grant")
    assert api.get("/shops").status_code == 200
    assert_oauth_error(exchange(live_sandbox, app, code, None), 400, "invalid_grant")
    assert api.get("/shops").status_code == 401


# --- the refresh grace period ----------------------------------------------------------------


def test_a_refresh_token_sent_again_within_the_grace_period_gets_the_same_new_pair(
    live_sandbox, browser, app, api_for
):
    tokens = connect(live_sandbox, browser, app)
    first = refresh(live_sandbox, app, tokens["refresh_token"]).json()
    # The answer was lost on the way: the client sends the same refresh token again.
    again = refresh(live_sandbox, app, tokens["refresh_token"], how="json")
    assert again.status_code == 200, again.text
    again = again.json()
    assert (again["access_token"], again["refresh_token"]) == (
        first["access_token"],
        first["refresh_token"],
    )
    assert again["token_type"] == "Bearer"
    assert again["scope"] == first["scope"]
    assert 0 < again["expires_in"] <= first["expires_in"]
    assert api_for(again["access_token"]).get("/shops").status_code == 200
    # The pair it got is the live one: it rotates on as usual.
    assert refresh(live_sandbox, app, again["refresh_token"]).status_code == 200


def test_concurrent_refreshes_within_the_grace_period_get_one_pair_and_keep_the_grant(
    live_sandbox, browser, app, api_for
):
    tokens = connect(live_sandbox, browser, app)
    answers = concurrently(10, lambda: refresh(live_sandbox, app, tokens["refresh_token"]))
    assert {answer.status_code for answer in answers} == {200}
    pairs = {(a.json()["access_token"], a.json()["refresh_token"]) for a in answers}
    assert len(pairs) == 1
    assert api_for(pairs.pop()[0]).get("/shops").status_code == 200


def test_a_refresh_token_sent_again_after_its_successor_was_used_revokes_the_grant(
    live_sandbox, browser, app, api_for
):
    tokens = connect(live_sandbox, browser, app)
    first = refresh(live_sandbox, app, tokens["refresh_token"]).json()
    second = refresh(live_sandbox, app, first["refresh_token"]).json()
    # The client got the first answer (it used its refresh token): this is a replay.
    assert_oauth_error(refresh(live_sandbox, app, tokens["refresh_token"]), 400, "invalid_grant")
    assert api_for(second["access_token"]).get("/shops").status_code == 401


def test_a_refresh_token_sent_again_after_the_grace_period_revokes_the_grant(
    start_sandbox, app, johnsons, api_for
):
    server = start_sandbox(SANDBOX_REFRESH_GRACE="1")
    tokens = connect(server, Browser(server, johnsons["users"][1]), app)
    first = refresh(server, app, tokens["refresh_token"]).json()
    time.sleep(1.5)
    assert_oauth_error(refresh(server, app, tokens["refresh_token"]), 400, "invalid_grant")
    assert api_for(first["access_token"], server=server).get("/shops").status_code == 401


def test_another_client_cannot_use_the_grace_period(live_sandbox, browser, app, sandbox_db):
    tokens = connect(live_sandbox, browser, app)
    refresh(live_sandbox, app, tokens["refresh_token"])
    thief = register(sandbox_db, "Grace Thief")
    assert_oauth_error(refresh(live_sandbox, thief, tokens["refresh_token"]), 400, "invalid_grant")


# --- malformed bodies ------------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.mark.parametrize(
    ("case", "body", "content_type"),
    [
        ("deeply nested arrays", "[" * 100_000 + "]" * 100_000, JSON),
        ("a deeply nested value", '{"grant_type": ' + "[" * 5000 + "]" * 5000 + "}", JSON),
        ("a deeply nested object", '{"a":' * 5000 + "1" + "}" * 5000, JSON),
        ("NaN", '{"grant_type": "refresh_token", "refresh_token": NaN}', JSON),
        ("a number too long to read", '{"code": 1' + "0" * 5000 + "}", JSON),
        ("bytes that are not UTF-8", b'{"code": "\xff\xfe"}', JSON),
        ("a truncated object", '{"grant_type": "refresh_token", ', JSON),
        ("a multipart body without a boundary", "--x\r\n", "multipart/form-data"),
        ("too many form fields", "&".join(f"f{n}=1" for n in range(1200)), FORM),
        ("a body over the size limit", "code=" + "a" * 3_000_000, FORM),
    ],
)
def test_a_malformed_token_request_is_invalid_request_and_never_a_500(
    live_sandbox, case, body, content_type
):
    answer = requests.post(
        f"{live_sandbox.url}/v1/oauth/token",
        data=body,
        headers={"Content-Type": content_type},
        timeout=TIMEOUT,
    )
    assert_oauth_error(answer, 400, "invalid_request")


# --- the budget per client -------------------------------------------------------------------


def test_the_token_endpoint_gives_each_client_its_own_budget(start_sandbox, sandbox_db):
    server = start_sandbox(SANDBOX_TOKEN_RATE_LIMIT="3", SANDBOX_RATE_WINDOW="3600")
    eager, calm = register(sandbox_db, "Eager Portal"), register(sandbox_db, "Calm Portal")
    spent = {"grant_type": "refresh_token", "refresh_token": "not-a-token"}

    answers = [token_request(server, eager, spent) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [400, 400, 400]
    over = token_request(server, eager, spent, how="basic")
    assert_oauth_error(over, 429, "rate_limited")
    assert int(over.headers["Retry-After"]) >= 1
    assert over.headers["X-RateLimit-Limit"] == "3"
    # A wrong secret is counted too: guessing does not get around the budget.
    wrong = {**eager, "client_secret": "cs_wrong"}
    assert token_request(server, wrong, spent).status_code == 429

    assert_oauth_error(token_request(server, calm, spent), 400, "invalid_grant")


# --- signing out on the consent page ---------------------------------------------------------


def follow(visitor: Visitor, answer: requests.Response) -> requests.Response:
    """Follow redirects within the sandbox; the first page that is not one."""
    while answer.status_code in (301, 302, 303):
        answer = visitor.get(answer.headers["Location"])
    return answer


def hidden_fields(form_html: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html
        )
    }


def test_signing_out_on_the_consent_page_and_in_again_comes_back_to_the_same_consent(
    live_sandbox, app, johnsons
):
    user = johnsons["users"][0]
    visitor = Browser(live_sandbox, user)
    params = consent_params(app, state="keep-me")
    consent = visitor.get("/oauth/authorize", params=params)
    signout = re.search(
        r'<form method="post" action="/accounts/logout/">(.*?)</form>', consent.text, re.S
    ).group(1)

    login = follow(visitor, visitor.post("/accounts/logout/", data=hidden_fields(signout)))
    assert "Sign in to AutoSync" in login.text
    fields = hidden_fields(login.text)
    signed_in = visitor.post(
        login.url.removeprefix(live_sandbox.url),
        data={**fields, "username": user["username"], "password": user["password"]},
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"].startswith("/oauth/authorize?")
    again = follow(visitor, signed_in)
    assert again.status_code == 200
    assert "Careful Portal wants to connect" in again.text
    assert "state=keep-me" in again.url
    answer = visitor.post(
        again.url.removeprefix(live_sandbox.url),
        data={"csrfmiddlewaretoken": csrf_token(again.text), "decision": "deny"},
    )
    assert answer.headers["Location"].startswith(CALLBACK)
    assert location_query(answer)["state"] == "keep-me"
