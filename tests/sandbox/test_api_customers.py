"""Shops and customers: reading, searching, filtering, creating and updating."""

import time
from datetime import datetime, timedelta

import pytest

from tests.sandbox.api_records import new_customer, roomy_api, unique

api = roomy_api()


@pytest.fixture
def shop(johnsons) -> int:
    return johnsons["shops"][0]["id"]


def search(api, shop: int, **params) -> list[int]:
    response = api.get(f"/shops/{shop}/customers", params={"per_page": 100, **params})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


def invalid(response, status: int, field: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["field"] == field
    assert field in error["message"]
    return error["message"]


def test_a_shop_reads_with_the_fields_of_the_reference(api, shop):
    body = api.get(f"/shops/{shop}").json()
    assert body["success"] is True
    assert body["data"]["id"] == shop
    assert set(body["data"]) >= {"id", "name", "slug", "status", "location_count", "created_at"}
    assert body["data"]["created_at"].endswith("Z")


def test_a_created_customer_answers_201_and_reads_back_the_same(api, shop):
    body = {
        "first_name": "Mike",
        "last_name": "Rodriguez",
        "email": "mike@example.com",
        "phone": "(555) 123-4567",
        "is_business": True,
        "address": {"street": "123 Main St", "city": "North Canton", "state": "OH", "zip": "44720"},
    }
    response = api.post(f"/shops/{shop}/customers", json=body)
    assert response.status_code == 201
    customer = response.json()["data"]
    assert {k: customer[k] for k in body} == body
    assert customer["shop_id"] == shop
    assert api.get(f"/shops/{shop}/customers/{customer['id']}").json()["data"] == customer


def test_a_customer_without_optional_fields_shows_them_empty(api, shop):
    customer = new_customer(api, shop)
    assert customer["email"] is None and customer["phone"] is None
    assert customer["is_business"] is False
    assert customer["address"] == {"street": "", "city": "", "state": "", "zip": ""}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"last_name": "Lee"}, "first_name"),
        ({"first_name": "Ann"}, "last_name"),
        ({"first_name": "  ", "last_name": "Lee"}, "first_name"),
        ({"first_name": "Ann", "last_name": "Lee", "email": "not-an-email"}, "email"),
        ({"first_name": "A" * 256, "last_name": "Lee"}, "first_name"),
        ({"first_name": "Ann", "last_name": "Lee", "phone": 5551234}, "phone"),
        ({"first_name": "Ann", "last_name": "Lee", "is_business": "yes"}, "is_business"),
        ({"first_name": "Ann", "last_name": "Lee", "is_business": None}, "is_business"),
        ({"first_name": "Ann", "last_name": "Lee", "address": "1 Main St"}, "address"),
        (
            {"first_name": "Ann", "last_name": "Lee", "address": {"country": "US"}},
            "address.country",
        ),
        ({"first_name": "Ann", "last_name": "Lee", "address": {"zip": 44720}}, "address.zip"),
        ({"first_name": "Ann", "last_name": "Lee", "nickname": "A"}, "nickname"),
        ({"first_name": "Ann\u0000", "last_name": "Lee"}, "first_name"),
    ],
)
def test_an_invalid_customer_answers_422_naming_the_field(api, shop, body, field):
    invalid(api.post(f"/shops/{shop}/customers", json=body), 422, field)


def test_updating_a_customer_changes_only_the_fields_given(api, shop):
    customer = new_customer(
        api, shop, email="a@example.com", phone="555-0100", address={"city": "Akron", "zip": "1"}
    )
    response = api.put(
        f"/shops/{shop}/customers/{customer['id']}",
        json={"phone": "555-0199", "address": {"zip": "44720"}},
    )
    assert response.status_code == 200
    updated = response.json()["data"]
    assert updated["phone"] == "555-0199"
    assert updated["address"] == {"street": "", "city": "Akron", "state": "", "zip": "44720"}
    assert updated["email"] == "a@example.com"
    assert updated["first_name"] == customer["first_name"]


def test_updating_a_customer_with_null_clears_an_optional_field(api, shop):
    customer = new_customer(api, shop, email="a@example.com")
    response = api.put(f"/shops/{shop}/customers/{customer['id']}", json={"email": None})
    assert response.json()["data"]["email"] is None


def test_an_invalid_update_answers_422_and_changes_nothing(api, shop):
    customer = new_customer(api, shop)
    response = api.put(
        f"/shops/{shop}/customers/{customer['id']}",
        json={"email": "ann@example.com", "last_name": ""},
    )
    invalid(response, 422, "last_name")
    assert api.get(f"/shops/{shop}/customers/{customer['id']}").json()["data"] == customer


def test_an_unknown_customer_answers_404(api, shop):
    assert api.get(f"/shops/{shop}/customers/999999999").status_code == 404
    assert api.put(f"/shops/{shop}/customers/999999999", json={}).status_code == 404


def test_search_matches_names_email_and_phone_case_insensitively(api, shop):
    tag = unique("zq")
    ann = new_customer(api, shop, first_name=f"Ann{tag}", last_name="Lee", phone="(555) 201-7788")
    bob = new_customer(
        api, shop, first_name="Bob", last_name=f"Stone{tag}", email=f"bob.{tag}@example.com"
    )
    assert search(api, shop, search=tag.upper()) == [ann["id"], bob["id"]]
    assert search(api, shop, search=f"ann{tag} lee") == [ann["id"]], "the full name matches"
    assert search(api, shop, search=f"bob.{tag}@EXAMPLE") == [bob["id"]]
    assert search(api, shop, search=f"{tag}-nobody") == []


def test_search_matches_phone_digits_whatever_the_formatting(api, shop):
    digits = str(time.time_ns())[-7:]
    phone = f"({digits[:3]}) 8{digits[3:5]}-{digits[5:]}9"
    customer = new_customer(api, shop, phone=phone)
    plain = f"{digits[:3]}8{digits[3:]}9"
    for query in (
        plain,
        f"{digits[:3]}.8{digits[3:5]}.{digits[5:]}9",
        f"8{digits[3:5]} {digits[5:]}",
    ):
        assert customer["id"] in search(api, shop, search=query), query


def test_is_business_filters_business_accounts(api, shop):
    tag = unique("biz")
    business = new_customer(api, shop, last_name=tag, is_business=True)
    person = new_customer(api, shop, last_name=tag)
    assert search(api, shop, search=tag, is_business="true") == [business["id"]]
    assert search(api, shop, search=tag, is_business="false") == [person["id"]]
    invalid(api.get(f"/shops/{shop}/customers", params={"is_business": "yes"}), 400, "is_business")


def test_created_after_is_strictly_after_a_date_time_or_a_date(api, shop):
    tag = unique("new")
    customer = new_customer(api, shop, last_name=tag)
    created = customer["created_at"]
    assert search(api, shop, search=tag, created_after="2000-01-01") == [customer["id"]]
    assert search(api, shop, search=tag, created_after="2000-01-01T00:00:00Z") == [customer["id"]]
    assert search(api, shop, search=tag, created_after="2000-01-01T00:00:00+05:00") == [
        customer["id"]
    ]
    moment = datetime.fromisoformat(created)
    before, after = ((moment + timedelta(seconds=delta)).isoformat() for delta in (-1, 1))
    assert search(api, shop, search=tag, created_after=before) == [customer["id"]]
    assert search(api, shop, search=tag, created_after=after) == []
    assert search(api, shop, search=tag, created_after="2999-01-01") == []
    for bad in ("yesterday", "2024-13-01", "2024-01-01T25:00:00Z", ""):
        invalid(
            api.get(f"/shops/{shop}/customers", params={"created_after": bad}), 400, "created_after"
        )
