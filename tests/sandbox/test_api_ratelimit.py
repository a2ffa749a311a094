"""Rate limits: fixed windows per credential, kept in the database so every process shares them."""

import math
import time

import pytest
import requests

from tests.sandbox.api_records import new_api_key, unique

WINDOW = 60
LIMITED = {"SANDBOX_RATE_LIMIT": "5", "SANDBOX_RATE_WINDOW": str(WINDOW)}


def in_a_fresh_window(margin: float = 8) -> None:
    """Sleep past a window boundary that would fall within the next `margin` seconds, so a
    test's requests all count in one window."""
    left = WINDOW - time.time() % WINDOW
    if left < margin:
        time.sleep(left + 0.1)


def get(server, path: str, key: str | None) -> requests.Response:
    """A request on a new connection, so gunicorn's workers take turns answering."""
    headers = {"Authorization": f"Bearer {key}", "Connection": "close"} if key else {}
    return requests.get(f"{server.api_url}{path}", headers=headers, timeout=30)


@pytest.fixture
def limited(start_sandbox):
    return start_sandbox(**LIMITED)


@pytest.fixture
def fresh_key(sandbox_db, johnsons) -> str:
    """A key of its own, whose budget no other test spends."""
    return new_api_key(sandbox_db, johnsons["id"])["key"]


def test_every_response_carries_the_rate_limit_headers(api_for, fresh_key, johnsons):
    shop = johnsons["shops"][0]["id"]
    api = api_for(fresh_key)
    responses = [
        api.get("/shops"),
        api.get("/shops/999999999"),
        api.get(f"/shops/{shop}/customers", params={"page": "x"}),
        api.post(f"/shops/{shop}/customers", json={}),
        api.delete("/shops"),
        api.get("/no/such/path"),
        requests.get(api.base_url + "/shops", timeout=10),
    ]
    assert [r.status_code for r in responses] == [200, 404, 400, 422, 405, 404, 401]
    now = time.time()
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == "100"
        assert 0 <= int(response.headers["X-RateLimit-Remaining"]) < 100
        reset = int(response.headers["X-RateLimit-Reset"])
        assert reset % WINDOW == 0, "windows are aligned to the minute"
        assert now - 5 < reset <= now + WINDOW + 5


def test_the_remaining_budget_counts_down_with_each_request(live_sandbox, fresh_key):
    in_a_fresh_window()
    remaining = [
        int(get(live_sandbox, "/shops", fresh_key).headers["X-RateLimit-Remaining"])
        for _ in range(3)
    ]
    assert remaining == [99, 98, 97]


def test_over_the_limit_answers_429_with_retry_after_and_does_nothing(
    limited, fresh_key, johnsons, sandbox_db, api_for
):
    shop = johnsons["shops"][0]["id"]
    in_a_fresh_window()
    for expected_remaining in (4, 3, 2, 1, 0):
        response = get(limited, "/shops", fresh_key)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(expected_remaining)

    name = unique("Limited-")
    response = requests.post(
        f"{limited.api_url}/shops/{shop}/customers",
        json={"first_name": "Over", "last_name": name},
        headers={"Authorization": f"Bearer {fresh_key}"},
        timeout=30,
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert error == {"code": "rate_limited", "message": error["message"], "status": 429}
    assert response.headers["X-RateLimit-Remaining"] == "0"
    reset = int(response.headers["X-RateLimit-Reset"])
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW
    assert abs(retry_after - math.ceil(reset - time.time())) <= 2
    other_key = new_api_key(sandbox_db, johnsons["id"])["key"]
    found = api_for(other_key).get(f"/shops/{shop}/customers", params={"search": name}).json()
    assert found["pagination"]["total"] == 0, "a refused request changes nothing"


def test_two_servers_on_one_database_share_a_keys_budget(start_sandbox, fresh_key):
    first, second = start_sandbox(**LIMITED), start_sandbox(**LIMITED)
    in_a_fresh_window()
    statuses = [get(server, "/shops", fresh_key).status_code for server in [first, second] * 3]
    assert statuses == [200] * 5 + [429]
    # Each server runs two gunicorn workers; whichever answers, the budget stays spent.
    assert {get(first, "/shops", fresh_key).status_code for _ in range(4)} == {429}


def test_each_credential_has_its_own_budget(limited, sandbox_db, johnsons):
    spent, fresh = (new_api_key(sandbox_db, johnsons["id"])["key"] for _ in range(2))
    in_a_fresh_window()
    for _ in range(6):
        last = get(limited, "/shops", spent)
    assert last.status_code == 429
    assert get(limited, "/shops", fresh).status_code == 200


def test_requests_without_a_valid_credential_spend_their_addresses_budget(limited):
    in_a_fresh_window()
    statuses = [get(limited, "/shops", "sk_test_wrong").status_code for _ in range(7)]
    # Other tests' unauthenticated calls may already have spent part of this address's budget.
    assert statuses[-1] == 429
    assert set(statuses) <= {401, 429}
