"""Appointments, payments, inventory and employees."""

import pytest

from tests.sandbox.api_records import new_customer, new_vehicle, roomy_api

api = roomy_api()


@pytest.fixture
def shop(johnsons) -> int:
    return johnsons["shops"][0]["id"]


def refused(response, field: str, status: int = 422) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_parameter", field)
    return error["message"]


def everything(api, path: str, **params) -> list[dict]:
    response = api.get(path, params={"per_page": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"]["total"] <= 100, "the seed's lists fit one page"
    return body["data"]


# --- appointments -----------------------------------------------------------------------------


def test_a_booked_appointment_answers_201_in_utc_and_is_listed(api, shop):
    customer = new_customer(api, shop)
    vehicle = new_vehicle(api, shop, customer["id"])
    response = api.post(
        f"/shops/{shop}/appointments",
        json={
            "customer_id": customer["id"],
            "vehicle_id": vehicle["id"],
            "start_time": "2030-03-14T09:15:00-04:00",
            "end_time": "2030-03-14T14:15:00Z",
            "notes": "Brakes squeak",
        },
    )
    assert response.status_code == 201, response.text
    appointment = response.json()["data"]
    assert appointment["start_time"] == "2030-03-14T13:15:00Z"
    assert appointment["end_time"] == "2030-03-14T14:15:00Z"
    assert (appointment["status"], appointment["notes"]) == ("scheduled", "Brakes squeak")
    response = api.get(f"/shops/{shop}/appointments", params={"per_page": 1, "page": 1})
    total = response.json()["pagination"]["total"]
    last = api.get(f"/shops/{shop}/appointments", params={"per_page": 1, "page": total})
    assert last.json()["data"] == [appointment], "listed last: ordered by id"


def test_a_time_without_an_offset_is_taken_as_utc(api, shop):
    customer = new_customer(api, shop)
    body = {"customer_id": customer["id"], "start_time": "2030-03-14T09:15:00"}
    response = api.post(f"/shops/{shop}/appointments", json=body)
    assert response.status_code == 201
    assert response.json()["data"]["start_time"] == "2030-03-14T09:15:00Z"
    assert response.json()["data"]["vehicle_id"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_time": None}, "start_time"),
        ({"start_time": "tomorrow"}, "start_time"),
        ({"start_time": "2030-03-14"}, "start_time"),
        ({"start_time": 1900000000}, "start_time"),
        ({"end_time": "2030-03-14T08:00:00Z"}, "end_time"),
        ({"end_time": "2030-03-14T09:00:00Z"}, "end_time"),
        ({"customer_id": 999999999}, "customer_id"),
        ({"vehicle_id": 999999999}, "vehicle_id"),
        ({"notes": ["a"]}, "notes"),
        ({"status": "scheduled"}, "status"),
    ],
)
def test_an_invalid_appointment_answers_422_naming_the_field(api, shop, fields, field):
    customer = new_customer(api, shop)
    body = {"customer_id": customer["id"], "start_time": "2030-03-14T09:00:00Z", **fields}
    refused(api.post(f"/shops/{shop}/appointments", json=body), field)


def test_an_appointment_needs_a_customer_and_a_start_time(api, shop):
    refused(
        api.post(f"/shops/{shop}/appointments", json={"start_time": "2030-01-01T00:00Z"}),
        "customer_id",
    )
    customer = new_customer(api, shop)
    refused(
        api.post(f"/shops/{shop}/appointments", json={"customer_id": customer["id"]}), "start_time"
    )


def test_an_appointment_refuses_the_vehicle_of_another_customer(api, shop):
    owner, other = new_customer(api, shop), new_customer(api, shop)
    vehicle = new_vehicle(api, shop, owner["id"])
    body = {
        "customer_id": other["id"],
        "vehicle_id": vehicle["id"],
        "start_time": "2030-03-14T09:00:00Z",
    }
    refused(api.post(f"/shops/{shop}/appointments", json=body), "vehicle_id")


# --- payments ---------------------------------------------------------------------------------


def test_payments_list_with_their_fields_and_read_one_by_one(api, shop):
    payments = everything(api, f"/shops/{shop}/payments")
    assert payments, "the seed took payments"
    assert [p["id"] for p in payments] == sorted(p["id"] for p in payments)
    first = payments[0]
    assert set(first) >= {"id", "workorder_id", "customer_id", "amount", "method", "status"}
    assert api.get(f"/shops/{shop}/payments/{first['id']}").json()["data"] == first


def test_a_payment_of_another_shop_answers_404(api, johnsons):
    first, second = (s["id"] for s in johnsons["shops"][:2])
    theirs = everything(api, f"/shops/{second}/payments")[0]
    assert api.get(f"/shops/{first}/payments/{theirs['id']}").status_code == 404


def test_payments_cannot_be_created_through_the_api(api, shop):
    response = api.post(f"/shops/{shop}/payments", json={"amount": 10})
    assert response.status_code == 405


# --- inventory --------------------------------------------------------------------------------


def test_updating_stock_sets_only_the_fields_given(api, shop):
    part = everything(api, f"/shops/{shop}/inventory")[-1]
    url = f"/shops/{shop}/inventory/{part['id']}"
    response = api.patch(url, json={"quantity": 37})
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    assert updated["quantity"] == 37
    assert (updated["cost"], updated["price"]) == (part["cost"], part["price"])
    updated = api.patch(url, json={"cost": 12.5, "price": 19.99}).json()["data"]
    assert (updated["quantity"], updated["cost"], updated["price"]) == (37, 12.5, 19.99)
    assert api.patch(url, json={}).json()["data"]["quantity"] == 37


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": -1}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "3"}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"cost": -0.01}, "cost"),
        ({"price": "9.99"}, "price"),
        ({"price": 9.999}, "price"),
        ({"price": 1e12}, "price"),
        ({"name": "Oil"}, "name"),
    ],
)
def test_an_invalid_stock_update_answers_422_naming_the_field(api, shop, body, field):
    part = everything(api, f"/shops/{shop}/inventory")[0]
    refused(api.patch(f"/shops/{shop}/inventory/{part['id']}", json=body), field)


def test_a_part_of_another_shop_answers_404(api, johnsons):
    first, second = (s["id"] for s in johnsons["shops"][:2])
    theirs = everything(api, f"/shops/{second}/inventory")[0]
    response = api.patch(f"/shops/{first}/inventory/{theirs['id']}", json={"quantity": 1})
    assert response.status_code == 404


# --- employees --------------------------------------------------------------------------------


def test_employees_filter_by_role_and_status(api, shop):
    staff = everything(api, f"/shops/{shop}/employees")
    technicians = everything(api, f"/shops/{shop}/employees", role="technician")
    assert technicians == [e for e in staff if e["role"] == "technician"]
    active = everything(api, f"/shops/{shop}/employees", role="technician", status="active")
    assert active == [e for e in technicians if e["status"] == "active"]
    assert {"id", "first_name", "last_name", "name", "role", "status"} <= set(staff[0])


@pytest.mark.parametrize(("name", "value"), [("role", "mechanic"), ("status", "retired")])
def test_an_unknown_employee_filter_value_answers_422(api, shop, name, value):
    message = refused(api.get(f"/shops/{shop}/employees", params={name: value}), name)
    assert "must be one of" in message
