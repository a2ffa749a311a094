"""Who may call what: keys, access tokens, scopes, reach, and the envelope of every refusal."""

import pytest
import requests

from tests.sandbox.api_records import (
    access_token,
    new_api_key,
    new_customer,
    revoke_api_key,
    roomy_api,
)

api = roomy_api()


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture(scope="module")
def grant_for(sandbox_db, johnsons):
    """`grant_for(scope, shops)`: an access token of Johnson's for those shops and scopes."""
    tokens = {}

    def token(scope: str, shop_ids: tuple[int, ...]) -> str:
        if (scope, shop_ids) not in tokens:
            tokens[scope, shop_ids] = access_token(
                sandbox_db, johnsons["id"], list(shop_ids), scope
            )
        return tokens[scope, shop_ids]

    return token


def test_a_request_without_authorization_answers_401_unauthorized(api_for):
    error = error_of(api_for(None).get("/shops"), 401, "unauthorized")
    assert "Bearer" in error["message"]


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "sk_test_abc"])
def test_a_malformed_authorization_header_answers_401_unauthorized(api_for, header):
    response = api_for(None).get("/shops", headers={"Authorization": header})
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_api_key_answers_401_unauthorized(api_for):
    error_of(api_for("sk_test_" + "x" * 32).get("/shops"), 401, "unauthorized")


def test_a_revoked_key_answers_401_and_a_live_one_of_the_same_account_still_works(
    api_for, sandbox_db, johnsons
):
    key = new_api_key(sandbox_db, johnsons["id"])
    assert api_for(key["key"]).get("/shops").status_code == 200
    revoke_api_key(sandbox_db, key["id"])
    error_of(api_for(key["key"]).get("/shops"), 401, "unauthorized")
    assert api_for(johnsons["api_key"]).get("/shops").status_code == 200


def test_an_unknown_access_token_answers_401_invalid_token(api_for):
    response = api_for("not-a-real-token").get("/shops")
    error_of(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_api_key_lists_exactly_its_accounts_shops(api, johnsons):
    body = api.get("/shops").json()
    assert [s["id"] for s in body["data"]] == sorted(s["id"] for s in johnsons["shops"])
    assert body["pagination"] == {"page": 1, "per_page": 25, "total": len(johnsons["shops"])}
    shop = body["data"][0]
    for field in ("id", "name", "slug", "status", "location_count", "created_at"):
        assert field in shop


def test_another_accounts_shop_answers_404_as_if_it_did_not_exist(api, stranger):
    theirs = stranger["shops"][0]["id"]
    missing = api.get("/shops/999999999")
    for path in ("", "/customers", "/workorders", "/inventory"):
        error = error_of(api.get(f"/shops/{theirs}{path}"), 404, "not_found")
        assert error == error_of(api.get(f"/shops/999999999{path}"), 404, "not_found")
    assert missing.json()["error"]["message"] == "The shop was not found."


def test_a_record_of_another_shop_of_the_same_account_answers_404(api, johnsons):
    first, second = (s["id"] for s in johnsons["shops"][:2])
    customer = new_customer(api, first)
    assert api.get(f"/shops/{first}/customers/{customer['id']}").status_code == 200
    error_of(api.get(f"/shops/{second}/customers/{customer['id']}"), 404, "not_found")
    response = api.put(f"/shops/{second}/customers/{customer['id']}", json={"first_name": "X"})
    error_of(response, 404, "not_found")


def test_an_access_token_reaches_only_the_shops_its_grant_names(api_for, grant_for, johnsons):
    first, second = (s["id"] for s in johnsons["shops"][:2])
    token_api = api_for(grant_for("shops:read customers:read", (first,)))
    assert [s["id"] for s in token_api.get("/shops").json()["data"]] == [first]
    assert token_api.get(f"/shops/{first}/customers").status_code == 200
    error_of(token_api.get(f"/shops/{second}"), 404, "not_found")
    error_of(token_api.get(f"/shops/{second}/customers"), 404, "not_found")


def test_a_missing_scope_answers_403_insufficient_scope(api_for, grant_for, johnsons):
    shop = johnsons["shops"][0]["id"]
    token_api = api_for(grant_for("customers:read", (shop,)))
    error = error_of(token_api.get(f"/shops/{shop}/workorders"), 403, "insufficient_scope")
    assert "workorders:read" in error["message"]
    response = token_api.post(f"/shops/{shop}/customers", json={"first_name": "A"})
    assert "customers:write" in error_of(response, 403, "insufficient_scope")["message"]


def test_a_write_scope_implies_the_read_scope_of_the_same_resource(api_for, grant_for, johnsons):
    shop = johnsons["shops"][0]["id"]
    token_api = api_for(grant_for("inventory:write", (shop,)))
    assert token_api.get(f"/shops/{shop}/inventory").status_code == 200
    error_of(token_api.get(f"/shops/{shop}/employees"), 403, "insufficient_scope")


def test_an_unknown_path_answers_the_404_envelope(api):
    error = error_of(api.get("/nothing/here"), 404, "not_found")
    assert "/v1/nothing/here" in error["message"]
    error_of(api.get("/shops/1/garages"), 404, "not_found")
    error_of(api.get("/shops/abc"), 404, "not_found")
    error_of(api.get("/shops/" + "9" * 40), 404, "not_found")


def test_a_method_the_endpoint_lacks_answers_405_with_allow(api, johnsons):
    shop = johnsons["shops"][0]["id"]
    response = api.delete(f"/shops/{shop}/customers")
    error_of(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    response = api.post(f"/shops/{shop}/inventory/1", json={})
    assert error_of(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "PATCH"


def test_writes_need_no_csrf_token_or_cookie(api, johnsons):
    """A bearer-token API: no session cookie is set, and no CSRF check applies."""
    response = api.post(
        f"/shops/{johnsons['shops'][0]['id']}/customers",
        json={"first_name": "Ann", "last_name": "Lee"},
        headers={"Origin": "https://elsewhere.example", "Referer": "https://elsewhere.example/"},
    )
    assert response.status_code == 201
    assert not response.cookies


def test_the_openapi_description_is_served_without_a_credential(live_sandbox):
    response = requests.get(f"{live_sandbox.api_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
    assert "X-RateLimit-Limit" in response.headers
