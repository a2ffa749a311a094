"""Vehicles, work orders and jobs: references between records, statuses, and money."""

from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.sandbox.api_records import (
    active_technician,
    employees,
    new_customer,
    new_vehicle,
    new_work_order,
    roomy_api,
    shell,
    unique,
)

api = roomy_api()
CENT = Decimal("0.01")


@pytest.fixture
def shop(johnsons) -> int:
    return johnsons["shops"][0]["id"]


@pytest.fixture
def other_shop(johnsons) -> int:
    return johnsons["shops"][1]["id"]


def refused(response, field: str, status: int = 422) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_parameter", field)
    return error["message"]


def record_payment(sandbox_db, work_order_id: int, amount: str) -> int:
    return shell(
        sandbox_db,
        "from decimal import Decimal\n"
        "from sandbox.core import services\n"
        "from sandbox.core.models import WorkOrder\n"
        f"wo = WorkOrder.objects.get(pk={work_order_id})\n"
        f"print(services.record_payment(wo, amount=Decimal({amount!r}), method='cash').id)",
    )


# --- vehicles ---------------------------------------------------------------------------------


def test_a_created_vehicle_stores_its_vin_and_plate_upper_case(api, shop):
    customer = new_customer(api, shop)
    vehicle = new_vehicle(
        api, shop, customer["id"], vin="1ftfw1e50mfa00001", license_plate="abc 123", mileage=42
    )
    assert vehicle["vin"] == "1FTFW1E50MFA00001"
    assert vehicle["license_plate"] == "ABC 123"
    assert (vehicle["customer_id"], vehicle["year"], vehicle["mileage"]) == (
        customer["id"],
        2021,
        42,
    )
    assert api.get(f"/shops/{shop}/vehicles/{vehicle['id']}").json()["data"] == vehicle


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"vin": "1FTFW1E50MFA0000I"}, "vin"),
        ({"vin": "SHORT"}, "vin"),
        ({"year": 1899}, "year"),
        ({"year": "2021"}, "year"),
        ({"year": True}, "year"),
        ({"mileage": -1}, "mileage"),
        ({"mileage": 2**40}, "mileage"),
        ({"make": ""}, "make"),
        ({"customer_id": "1"}, "customer_id"),
        ({"customer_id": 999999999}, "customer_id"),
        ({"color": "red"}, "color"),
    ],
)
def test_an_invalid_vehicle_answers_422_naming_the_field(api, shop, fields, field):
    customer = new_customer(api, shop)
    body = {"customer_id": customer["id"], "year": 2021, "make": "Ford", "model": "F-150", **fields}
    refused(api.post(f"/shops/{shop}/vehicles", json=body), field)


def test_a_vehicle_cannot_belong_to_a_customer_of_another_shop(api, shop, other_shop):
    theirs = new_customer(api, other_shop)
    body = {"customer_id": theirs["id"], "year": 2021, "make": "Ford", "model": "F-150"}
    refused(api.post(f"/shops/{shop}/vehicles", json=body), "customer_id")


def test_vehicles_filter_by_customer_vin_and_plate_exactly(api, shop):
    customer = new_customer(api, shop)
    plate = unique("P").upper()
    first = new_vehicle(api, shop, customer["id"], license_plate=plate)
    second = new_vehicle(api, shop, customer["id"], vin="2HGFC2F59MH000017")

    def ids(**params):
        response = api.get(f"/shops/{shop}/vehicles", params={"per_page": 100, **params})
        return [v["id"] for v in response.json()["data"]]

    assert ids(customer_id=customer["id"]) == [first["id"], second["id"]]
    assert ids(license_plate=plate.lower()) == [first["id"]]
    assert ids(license_plate=plate[:-1]) == [], "plates match exactly, not as substrings"
    assert second["id"] in ids(vin="2hgfc2f59mh000017")
    refused(api.get(f"/shops/{shop}/vehicles", params={"customer_id": "x"}), "customer_id", 400)


# --- work orders ------------------------------------------------------------------------------


def test_a_new_work_order_is_a_draft_with_no_jobs_and_zero_totals(api, shop):
    technician = active_technician(api, shop)
    work_order = new_work_order(api, shop, technician_id=technician["id"], notes="Squeaks")
    assert work_order["status"] == "draft"
    assert work_order["technician"]["id"] == technician["id"]
    assert (work_order["subtotal"], work_order["tax"], work_order["total"]) == (0, 0, 0)
    assert work_order["jobs"] == [] and work_order["payments"] == []
    assert work_order["notes"] == "Squeaks"
    assert set(work_order["vehicle"]) == {"id", "year", "make", "model"}
    assert set(work_order["customer"]) == {"id", "name"}


def test_a_work_order_refuses_a_vehicle_of_another_customer(api, shop):
    owner, other = new_customer(api, shop), new_customer(api, shop)
    vehicle = new_vehicle(api, shop, owner["id"])
    body = {"customer_id": other["id"], "vehicle_id": vehicle["id"]}
    message = refused(api.post(f"/shops/{shop}/workorders", json=body), "vehicle_id")
    assert "another customer" in message


def test_a_work_order_refuses_an_employee_who_is_not_a_technician(api, shop):
    writer = employees(api, shop, role="service_writer")[0]
    customer = new_customer(api, shop)
    vehicle = new_vehicle(api, shop, customer["id"])
    body = {
        "customer_id": customer["id"],
        "vehicle_id": vehicle["id"],
        "technician_id": writer["id"],
    }
    refused(api.post(f"/shops/{shop}/workorders", json=body), "technician_id")


def test_updating_a_work_order_sets_status_technician_and_notes(api, shop):
    work_order = new_work_order(api, shop)
    technician = active_technician(api, shop)
    url = f"/shops/{shop}/workorders/{work_order['id']}"
    changed = api.put(url, json={"status": "in_progress", "technician_id": technician["id"]})
    assert changed.status_code == 200
    data = changed.json()["data"]
    assert (data["status"], data["technician"]["id"]) == ("in_progress", technician["id"])
    assert data["notes"] == work_order["notes"]
    data = api.put(url, json={"technician_id": None, "notes": "Waiting on pads"}).json()["data"]
    assert data["technician"] is None and data["notes"] == "Waiting on pads"
    data = api.put(url, json={"status": "completed"}).json()["data"]
    assert data["completed_at"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "finished"}, "status"),
        ({"status": None}, "status"),
        ({"technician_id": "5"}, "technician_id"),
        ({"customer_id": 1}, "customer_id"),
    ],
)
def test_an_invalid_work_order_update_answers_422_naming_the_field(api, shop, body, field):
    work_order = new_work_order(api, shop)
    refused(api.put(f"/shops/{shop}/workorders/{work_order['id']}", json=body), field)


def test_work_orders_filter_by_status_customer_vehicle_technician_and_date(api, shop):
    technician = active_technician(api, shop)
    work_order = new_work_order(api, shop, technician_id=technician["id"])
    api.put(f"/shops/{shop}/workorders/{work_order['id']}", json={"status": "waiting_parts"})

    def ids(**params):
        response = api.get(f"/shops/{shop}/workorders", params={"per_page": 100, **params})
        assert response.status_code == 200, response.text
        return [w["id"] for w in response.json()["data"]]

    customer_id, vehicle_id = work_order["customer"]["id"], work_order["vehicle"]["id"]
    assert ids(customer_id=customer_id) == [work_order["id"]]
    assert ids(vehicle_id=vehicle_id, status="waiting_parts") == [work_order["id"]]
    assert ids(vehicle_id=vehicle_id, status="draft") == []
    assert work_order["id"] in ids(technician_id=technician["id"], created_after="2020-01-01")
    assert ids(customer_id=customer_id, created_after="2999-01-01T00:00:00Z") == []
    message = refused(api.get(f"/shops/{shop}/workorders", params={"status": "done"}), "status")
    assert "draft" in message


def test_totals_round_half_up_to_cents_with_tax_at_the_shops_rate(api, shop):
    tax_rate = Decimal(str(api.get(f"/shops/{shop}").json()["data"]["tax_rate"]))
    work_order = new_work_order(api, shop)
    url = f"/shops/{shop}/workorders/{work_order['id']}"
    response = api.post(
        f"{url}/jobs",
        json={
            "name": "Brakes",
            "line_items": [
                {"type": "labor", "description": "Labor", "quantity": 1.5, "unit_price": 33.33},
                {"type": "part", "description": "Pads", "quantity": 2, "unit_price": 45.5},
                {"type": "fee", "description": "Disposal", "quantity": 1, "unit_price": 0},
            ],
        },
    )
    assert response.status_code == 201, response.text
    job = response.json()["data"]
    assert [line["total"] for line in job["line_items"]] == [50.00, 91.00, 0]
    assert job["subtotal"] == 141.00
    api.post(f"{url}/jobs", json={"name": "Inspection"})
    detail = api.get(url).json()["data"]
    subtotal = Decimal("141.00")
    tax = (subtotal * tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    assert Decimal(str(detail["subtotal"])) == subtotal
    assert Decimal(str(detail["tax"])) == tax
    assert Decimal(str(detail["total"])) == subtotal + tax
    assert [j["name"] for j in detail["jobs"]] == ["Brakes", "Inspection"]
    assert detail["jobs"][1] == {
        "id": detail["jobs"][1]["id"],
        "name": "Inspection",
        "line_items": [],
        "subtotal": 0,
    }


def test_the_detail_shows_jobs_line_items_payments_and_the_balance(api, shop, sandbox_db):
    work_order = new_work_order(api, shop)
    url = f"/shops/{shop}/workorders/{work_order['id']}"
    api.post(
        f"{url}/jobs",
        json={
            "name": "Oil change",
            "line_items": [
                {"type": "labor", "description": "Labor", "quantity": 1, "unit_price": 100}
            ],
        },
    )
    payment_id = record_payment(sandbox_db, work_order["id"], "40.00")
    detail = api.get(url).json()["data"]
    assert detail["jobs"][0]["line_items"][0]["description"] == "Labor"
    assert [p["id"] for p in detail["payments"]] == [payment_id]
    assert detail["payments"][0]["amount"] == 40.0
    assert detail["amount_paid"] == 40.0
    assert detail["balance_due"] == round(detail["total"] - 40.0, 2)

    payment = api.get(f"/shops/{shop}/payments/{payment_id}").json()["data"]
    assert payment == detail["payments"][0]
    assert payment["workorder_id"] == work_order["id"]
    assert payment["customer_id"] == work_order["customer"]["id"]


def test_jobs_list_with_their_line_items_in_order(api, shop):
    work_order = new_work_order(api, shop)
    url = f"/shops/{shop}/workorders/{work_order['id']}/jobs"
    for name in ("A", "B", "C"):
        line = {"type": "fee", "description": name, "quantity": 1, "unit_price": 1}
        api.post(url, json={"name": name, "line_items": [line, {**line, "description": "2"}]})
    body = api.get(url, params={"per_page": 2, "page": 2}).json()
    assert body["pagination"] == {"page": 2, "per_page": 2, "total": 3}
    assert [j["name"] for j in body["data"]] == ["C"]
    assert [i["description"] for i in body["data"][0]["line_items"]] == ["C", "2"]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"type": "tip"}, "line_items[0].type"),
        ({"quantity": 0}, "line_items[0].quantity"),
        ({"quantity": "1"}, "line_items[0].quantity"),
        ({"quantity": 1.005}, "line_items[0].quantity"),
        ({"unit_price": -1}, "line_items[0].unit_price"),
        ({"unit_price": True}, "line_items[0].unit_price"),
        ({"description": ""}, "line_items[0].description"),
        ({"part_id": 999999999}, "line_items[0].part_id"),
        ({"discount": 5}, "line_items[0].discount"),
        ({"quantity": 99999999, "unit_price": 9999999999}, "line_items"),
    ],
)
def test_an_invalid_line_item_answers_422_and_adds_no_job(api, shop, line, field):
    work_order = new_work_order(api, shop)
    url = f"/shops/{shop}/workorders/{work_order['id']}/jobs"
    item = {"type": "labor", "description": "Labor", "quantity": 1, "unit_price": 10, **line}
    refused(api.post(url, json={"name": "Job", "line_items": [item]}), field)
    assert api.get(url).json()["pagination"]["total"] == 0


def test_a_job_needs_a_name_and_line_items_as_an_array(api, shop):
    work_order = new_work_order(api, shop)
    url = f"/shops/{shop}/workorders/{work_order['id']}/jobs"
    refused(api.post(url, json={"line_items": []}), "name")
    refused(api.post(url, json={"name": "Job", "line_items": {"type": "fee"}}), "line_items")
    refused(api.post(url, json={"name": "Job", "line_items": ["fee"]}), "line_items[0]")


def test_jobs_of_a_work_order_of_another_shop_answer_404(api, shop, other_shop):
    work_order = new_work_order(api, other_shop)
    assert api.get(f"/shops/{shop}/workorders/{work_order['id']}/jobs").status_code == 404
    response = api.post(f"/shops/{shop}/workorders/{work_order['id']}/jobs", json={"name": "X"})
    assert response.status_code == 404
    assert api.get(f"/shops/{shop}/workorders/{work_order['id']}").status_code == 404
