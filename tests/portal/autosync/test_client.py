"""The client against a live sandbox: every endpoint, typed errors, pagination, accounting."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from portal.autosync import errors
from portal.autosync.client import iter_all, iter_pages
from portal.autosync.tokens import StaticToken


def raw_get(server, key: str, path: str, **params) -> dict:
    """The same endpoint read without the api, to compare with."""
    answer = requests.get(
        f"{server.api_url}{path}",
        params=params,
        timeout=30,
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def unique_email() -> str:
    return f"client-test-{uuid.uuid4().hex[:10]}@example.com"


# --- reading ---------------------------------------------------------------------------------


def test_shops_are_listed_and_read_one_by_one(api, johnsons):
    page = api.list_shops()
    assert {shop["id"] for shop in page.items} == {shop["id"] for shop in johnsons["shops"]}
    assert (page.page, page.total) == (1, len(johnsons["shops"]))
    first = page.items[0]
    assert api.get_shop(first["id"]) == first


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("list_customers", "customers"),
        ("list_vehicles", "vehicles"),
        ("list_work_orders", "workorders"),
        ("list_appointments", "appointments"),
        ("list_payments", "payments"),
        ("list_parts", "inventory"),
        ("list_employees", "employees"),
    ],
)
def test_each_list_returns_the_page_the_api_serves(
    api, live_sandbox, api_key, shop_id, method, path
):
    page = getattr(api, method)(shop_id, page=2, per_page=3)
    expected = raw_get(live_sandbox, api_key, f"/shops/{shop_id}/{path}", page=2, per_page=3)
    assert page.items == expected["data"]
    assert (page.page, page.per_page, page.total) == (2, 3, expected["pagination"]["total"])
    assert len(page.items) == 3


def test_records_are_read_one_by_one(api, shop_id):
    customer = api.list_customers(shop_id).items[0]
    assert api.get_customer(shop_id, customer["id"]) == customer
    vehicle = api.list_vehicles(shop_id).items[0]
    assert api.get_vehicle(shop_id, vehicle["id"]) == vehicle
    payment = api.list_payments(shop_id).items[0]
    assert api.get_payment(shop_id, payment["id"]) == payment
    work_order = api.list_work_orders(shop_id).items[0]
    detail = api.get_work_order(shop_id, work_order["id"])
    assert detail["id"] == work_order["id"] and detail["jobs"]
    jobs = api.list_jobs(shop_id, work_order["id"])
    assert [job["id"] for job in jobs.items] == [job["id"] for job in detail["jobs"]]


def test_list_filters_reach_the_api(api, shop_id):
    technicians = api.list_employees(shop_id, role="technician", status="active").items
    assert technicians and all(e["role"] == "technician" for e in technicians)
    completed = api.list_work_orders(shop_id, status="completed", per_page=100).items
    assert all(w["status"] == "completed" for w in completed)
    vehicle = api.list_vehicles(shop_id).items[0]
    owned = api.list_vehicles(shop_id, customer_id=vehicle["customer_id"]).items
    assert vehicle in owned and all(v["customer_id"] == vehicle["customer_id"] for v in owned)
    assert api.list_vehicles(shop_id, vin=vehicle["vin"]).items == [vehicle]
    customer = api.list_customers(shop_id).items[0]
    assert customer in api.list_customers(shop_id, search=customer["email"]).items
    future = datetime.now(UTC) + timedelta(days=1)
    assert api.list_customers(shop_id, created_after=future).items == []
    assert all(
        not c["is_business"]
        for c in api.list_customers(shop_id, is_business=False, per_page=100).items
    )


def test_paging_through_a_list_yields_every_record_exactly_once(api, shop_id):
    everything = api.list_customers(shop_id, per_page=100)
    pages = list(iter_pages(api.list_customers, shop_id, per_page=7))
    assert all(page.total == everything.total for page in pages)
    assert len(pages) == -(-everything.total // 7)
    ids = [customer["id"] for page in pages for customer in page.items]
    assert ids == [customer["id"] for customer in everything.items]
    assert [c["id"] for c in iter_all(api.list_customers, shop_id, per_page=7)] == ids


# --- writing ---------------------------------------------------------------------------------


def test_a_customer_is_created_found_and_updated(api, shop_id):
    email = unique_email()
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = api.create_customer(
        shop_id,
        first_name="Mike",
        last_name="Rodriguez",
        email=email,
        phone="(555) 123-4567",
        address={"street": "123 Main St", "city": "North Canton", "state": "OH", "zip": "44720"},
    )
    assert created["email"] == email and created["address"]["zip"] == "44720"
    assert api.get_customer(shop_id, created["id"]) == created
    found = api.list_customers(shop_id, search=email, created_after=before).items
    assert [c["id"] for c in found] == [created["id"]]
    updated = api.update_customer(shop_id, created["id"], phone="(555) 765-4321")
    assert updated["phone"] == "(555) 765-4321" and updated["last_name"] == "Rodriguez"


def test_a_booking_creates_a_vehicle_work_order_job_and_appointment(api, shop_id):
    customer = api.create_customer(
        shop_id, first_name="Ana", last_name="Booker", email=unique_email()
    )
    vehicle = api.create_vehicle(
        shop_id, customer_id=customer["id"], year=2021, make="Ford", model="F-150", mileage=42000
    )
    assert (vehicle["customer_id"], vehicle["make"], vehicle["mileage"]) == (
        customer["id"],
        "Ford",
        42000,
    )
    technician = api.list_employees(shop_id, role="technician", status="active").items[0]
    work_order = api.create_work_order(
        shop_id,
        customer_id=customer["id"],
        vehicle_id=vehicle["id"],
        technician_id=technician["id"],
        notes="Booked online",
    )
    assert work_order["status"] == "draft"
    assert work_order["technician"]["id"] == technician["id"]
    job = api.create_job(
        shop_id,
        work_order["id"],
        name="Oil Change",
        line_items=[
            {
                "type": "labor",
                "description": "Labor: Oil Change",
                "quantity": 0.5,
                "unit_price": 120.0,
            },
        ],
    )
    assert job["name"] == "Oil Change" and job["subtotal"] == 60.0
    assert [j["id"] for j in api.list_jobs(shop_id, work_order["id"]).items] == [job["id"]]
    updated = api.update_work_order(shop_id, work_order["id"], status="in_progress")
    assert updated["status"] == "in_progress" and updated["subtotal"] == 60.0
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    appointment = api.create_appointment(
        shop_id,
        customer_id=customer["id"],
        vehicle_id=vehicle["id"],
        start_time=start,
        end_time=start + timedelta(hours=1),
        notes="Oil",
    )
    assert appointment["start_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = list(iter_all(api.list_appointments, shop_id))[-1]
    assert newest == appointment


def test_stock_levels_and_prices_are_patched(api, shop_id):
    part = api.list_parts(shop_id).items[0]
    updated = api.update_part(
        shop_id, part["id"], quantity=part["quantity"] + 3, price=part["price"]
    )
    assert updated["quantity"] == part["quantity"] + 3 and updated["price"] == part["price"]
    api.update_part(shop_id, part["id"], quantity=part["quantity"])


# --- errors ----------------------------------------------------------------------------------


def test_an_unknown_record_raises_not_found(api, shop_id):
    with pytest.raises(errors.NotFound) as info:
        api.get_customer(shop_id, 999_999_999)
    assert info.value.status == 404 and info.value.permanent


def test_a_shop_of_another_account_is_not_found(api, stranger_shop_id):
    with pytest.raises(errors.NotFound):
        api.list_customers(stranger_shop_id)


def test_an_invalid_record_raises_invalid_request_naming_the_field(api, shop_id):
    with pytest.raises(errors.InvalidRequest) as info:
        api.create_customer(shop_id, first_name="Bad", last_name="Email", email="not-an-email")
    assert (info.value.status, info.value.field) == (422, "email")
    assert "email" in info.value.message


def test_an_out_of_range_page_size_raises_invalid_request(api, shop_id):
    with pytest.raises(errors.InvalidRequest):
        api.list_customers(shop_id, per_page=101)


def test_an_unknown_api_key_raises_unauthorized_without_a_retry(make_client):
    api = make_client(tokens=StaticToken("sk_test_" + "0" * 32))
    with pytest.raises(errors.Unauthorized) as info:
        api.list_shops()
    assert info.value.status == 401 and info.value.permanent
    assert api.requests_made == 1


# --- accounting ------------------------------------------------------------------------------


def test_requests_are_counted_and_logged_without_the_token(make_client, api_key, shop_id, caplog):
    seen = []
    api = make_client(on_request=lambda *call: seen.append(call))
    with caplog.at_level(logging.INFO, logger="portal.autosync"):
        api.list_customers(shop_id, search="hunter")
        api.get_shop(shop_id)
    assert api.requests_made == 2
    assert [(method, path, status) for method, path, status, _ in seen] == [
        ("GET", f"/shops/{shop_id}/customers", 200),
        ("GET", f"/shops/{shop_id}", 200),
    ]
    assert f"GET /shops/{shop_id}/customers -> 200" in caplog.text
    assert api_key not in caplog.text and "hunter" not in caplog.text


def test_the_budget_follows_the_rate_headers_of_each_answer(make_client, fresh_key):
    api = make_client(tokens=StaticToken(fresh_key))
    api.list_shops()
    api.list_shops()
    window = api.budget.window(api.budget_key)
    assert (window.limit, window.used, window.observed) == (100, 2, True)
    assert window.reset > datetime.now(UTC).timestamp()
