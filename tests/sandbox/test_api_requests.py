"""What every endpoint shares: the envelope, paging, and strict JSON bodies."""

import pytest

from tests.sandbox.api_records import new_customer, roomy_api, unique

api = roomy_api()

LISTS = [
    "customers",
    "vehicles",
    "workorders",
    "appointments",
    "payments",
    "inventory",
    "employees",
]


@pytest.fixture
def shop(johnsons) -> int:
    return johnsons["shops"][0]["id"]


def error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error"}
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status
    if field:
        assert body["error"]["field"] == field
        assert field in body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("resource", LISTS)
def test_every_list_is_enveloped_paged_and_ordered_by_id(api, shop, resource):
    response = api.get(f"/shops/{shop}/{resource}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "pagination"}
    assert body["success"] is True
    assert body["pagination"]["page"] == 1 and body["pagination"]["per_page"] == 25
    ids = [item["id"] for item in body["data"]]
    assert ids == sorted(ids)
    assert len(ids) == min(25, body["pagination"]["total"])


def test_pages_follow_one_another_without_gaps_or_repeats(api, shop):
    tag = unique("page")
    made = [new_customer(api, shop, last_name=f"{tag}-{n}")["id"] for n in range(5)]
    seen = []
    for page in (1, 2, 3):
        response = api.get(
            f"/shops/{shop}/customers", params={"search": tag, "per_page": 2, "page": page}
        )
        body = response.json()
        assert body["pagination"] == {"page": page, "per_page": 2, "total": 5}
        seen += [c["id"] for c in body["data"]]
    assert seen == made


def test_a_page_past_the_end_is_empty_not_an_error(api, shop):
    body = api.get(f"/shops/{shop}/customers", params={"page": 100000, "per_page": 100}).json()
    assert body["success"] is True
    assert body["data"] == []
    assert body["pagination"]["page"] == 100000
    assert body["pagination"]["total"] > 0


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"page": "two"}, 400, "page"),
        ({"page": "1.5"}, 400, "page"),
        ({"per_page": ""}, 400, "per_page"),
        ({"page": "9" * 30}, 400, "page"),
        ({"page": "0"}, 422, "page"),
        ({"page": "-1"}, 422, "page"),
        ({"per_page": "0"}, 422, "per_page"),
        ({"per_page": "101"}, 422, "per_page"),
        ({"search": "a\u0000b"}, 400, "search"),
    ],
)
def test_a_bad_paging_value_answers_naming_the_parameter(api, shop, params, status, field):
    error(api.get(f"/shops/{shop}/customers", params=params), status, "invalid_parameter", field)


def test_a_body_that_is_not_json_answers_400_invalid_json(api, shop):
    for raw in (b"{first_name: 'Ann'}", b"", b"\xff\xfe", b'{"first_name": NaN}'):
        response = api.post(
            f"/shops/{shop}/customers", data=raw, headers={"Content-Type": "application/json"}
        )
        error(response, 400, "invalid_json")


@pytest.mark.parametrize("body", ["[]", '"Ann"', "42", "null"])
def test_a_json_body_that_is_not_an_object_answers_422(api, shop, body):
    response = api.post(
        f"/shops/{shop}/customers", data=body, headers={"Content-Type": "application/json"}
    )
    error(response, 422, "invalid_parameter", "body")


def test_unknown_fields_are_refused_by_name_not_ignored(api, shop):
    customer = new_customer(api, shop)
    response = api.put(
        f"/shops/{shop}/customers/{customer['id']}", json={**customer, "first_name": "Ann"}
    )
    error(response, 422, "invalid_parameter", "id")
    assert api.get(f"/shops/{shop}/customers/{customer['id']}").json()["data"] == customer


def test_a_huge_nesting_or_number_is_refused_without_a_server_error(api, shop):
    url = f"/shops/{shop}/customers"
    deep = "[" * 100000 + "]" * 100000
    response = api.post(url, data=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    response = api.post(url, json={"first_name": "Ann", "last_name": "Lee", "is_business": 10**400})
    error(response, 422, "invalid_parameter", "is_business")
