"""`python -m sandbox seed`: run as a real command on fresh databases, then read back."""

import hashlib
import json
import os
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox.core.vin import check_digit, is_valid_format
from tests.support.servers import drop_database, fresh_database_url, sandbox_command

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class SeededDatabase:
    """A fresh database after `migrate` and `seed --scale small --json`, with its rows."""

    def __init__(self, tmp_path, seed: int = 7):
        self.url = fresh_database_url(os.environ.get("SANDBOX_DATABASE_URL"), tmp_path)
        sandbox_command(self.url, "migrate", "-v0")
        self.summary = json.loads(
            sandbox_command(self.url, "seed", "--seed", str(seed), "--scale", "small", "--json")
        )
        self.dump = sandbox_command(self.url, "dumpdata", "core")
        self.rows = defaultdict(list)
        for row in json.loads(self.dump):
            self.rows[row["model"].removeprefix("core.")].append({"id": row["pk"], **row["fields"]})

    def by_id(self, model: str) -> dict[int, dict]:
        return {row["id"]: row for row in self.rows[model]}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    database = SeededDatabase(tmp_path_factory.mktemp("seed"))
    yield database
    drop_database(database.url)


def without_times(rows: list[dict]) -> list[dict]:
    """Records minus their timestamps, which follow the clock (anchored on the hour)."""
    times = {"created_at", "updated_at", "completed_at", "date_joined", "last_login"}
    return [{k: v for k, v in row.items() if k not in times} for row in rows]


def test_the_json_lists_accounts_with_a_key_users_and_shops(seeded):
    accounts = seeded.summary["accounts"]
    assert list(seeded.summary) == ["accounts"]
    assert len(accounts) >= 3
    johnsons = next(a for a in accounts if a["name"] == "Johnson's Auto Care")
    assert len(johnsons["shops"]) == 2
    assert all(len(a["shops"]) == 1 for a in accounts if a is not johnsons)
    for account in accounts:
        assert isinstance(account["id"], int)
        assert account["api_key"].startswith("sk_test_")
        assert len(account["api_key"]) >= len("sk_test_") + 32
        assert account["users"]
        assert all(u["username"] and u["password"] for u in account["users"])
        assert all({"id", "name", "slug"} <= set(shop) for shop in account["shops"])


def test_api_keys_are_stored_only_as_their_sha256(seeded):
    keys = {k["account"]: k for k in seeded.rows["apikey"]}
    for account in seeded.summary["accounts"]:
        plain = account["api_key"]
        stored = keys[account["id"]]
        assert stored["key_hash"] == hashlib.sha256(plain.encode()).hexdigest()
        assert stored["prefix"] == plain[:12]
        assert plain not in seeded.dump


def test_the_printed_users_are_staff_of_their_account(seeded):
    users = {u["username"]: u for u in seeded.rows["user"]}
    for account in seeded.summary["accounts"]:
        for printed in account["users"]:
            user = users[printed["username"]]
            assert user["is_staff"] and user["is_active"] and not user["is_superuser"]
            assert user["account"] == account["id"]
            assert printed["password"] not in user["password"]


def test_every_shop_has_work_orders_in_every_status(seeded):
    statuses = defaultdict(set)
    for order in seeded.rows["workorder"]:
        statuses[order["shop"]].add(order["status"])
    expected = {"draft", "in_progress", "waiting_parts", "completed", "invoiced"}
    assert {shop["id"] for a in seeded.summary["accounts"] for shop in a["shops"]} == set(statuses)
    assert all(found == expected for found in statuses.values())


def test_totals_follow_the_contract_rules(seeded):
    tax_rates = {s["id"]: Decimal(s["tax_rate"]) for s in seeded.rows["shop"]}
    lines_of, jobs_of = defaultdict(list), defaultdict(list)
    for line in seeded.rows["lineitem"]:
        assert Decimal(line["total"]) == cents(
            Decimal(line["quantity"]) * Decimal(line["unit_price"])
        )
        assert Decimal(line["unit_price"]) > 0
        lines_of[line["job"]].append(Decimal(line["total"]))
    for job in seeded.rows["job"]:
        assert Decimal(job["subtotal"]) == sum(lines_of[job["id"]], Decimal("0"))
        jobs_of[job["work_order"]].append(Decimal(job["subtotal"]))
    for order in seeded.rows["workorder"]:
        subtotal = cents(sum(jobs_of[order["id"]], Decimal("0")))
        tax = cents(subtotal * tax_rates[order["shop"]])
        assert Decimal(order["subtotal"]) == subtotal
        assert Decimal(order["tax"]) == tax
        assert Decimal(order["total"]) == subtotal + tax


def test_invoiced_work_orders_are_paid_in_full_and_amount_paid_matches(seeded):
    paid = defaultdict(Decimal)
    for payment in seeded.rows["payment"]:
        if payment["status"] == "succeeded":
            paid[payment["work_order"]] += Decimal(payment["amount"])
    orders = seeded.rows["workorder"]
    for order in orders:
        assert Decimal(order["amount_paid"]) == paid[order["id"]]
        if order["status"] == "invoiced":
            assert Decimal(order["amount_paid"]) == Decimal(order["total"])
        if order["status"] in ("draft", "in_progress", "waiting_parts"):
            assert not paid[order["id"]]
            assert order["completed_at"] is None
        else:
            assert order["completed_at"] is not None
    assert any(Decimal(o["amount_paid"]) for o in orders if o["status"] == "completed")


def test_vins_are_well_formed_with_a_valid_check_digit(seeded):
    vins = [v["vin"] for v in seeded.rows["vehicle"] if v["vin"]]
    assert len(vins) > len(seeded.rows["vehicle"]) / 2
    for vin in vins:
        assert is_valid_format(vin)
        assert vin[8] == check_digit(vin)


def test_vehicles_and_work_orders_belong_to_their_shop_and_customer(seeded):
    customers, vehicles = seeded.by_id("customer"), seeded.by_id("vehicle")
    for vehicle in vehicles.values():
        assert customers[vehicle["customer"]]["shop"] == vehicle["shop"]
    for order in seeded.rows["workorder"]:
        vehicle = vehicles[order["vehicle"]]
        assert vehicle["shop"] == order["shop"]
        assert vehicle["customer"] == order["customer"]


def test_each_shop_has_every_role_and_an_inactive_employee(seeded):
    roles, inactive = defaultdict(Counter), Counter()
    for employee in seeded.rows["employee"]:
        roles[employee["shop"]][employee["role"]] += 1
        inactive[employee["shop"]] += employee["status"] == "inactive"
    for shop in seeded.rows["shop"]:
        assert set(roles[shop["id"]]) == {"technician", "service_writer", "manager"}
        assert inactive[shop["id"]] >= 1


def test_inventory_has_parts_at_or_below_their_reorder_threshold(seeded):
    parts = seeded.rows["part"]
    low = [p for p in parts if p["quantity"] <= p["reorder_threshold"]]
    assert 0 < len(low) < len(parts) / 2


def test_appointments_span_the_past_and_the_next_two_weeks(seeded):
    appointments = seeded.rows["appointment"]
    statuses = Counter(a["status"] for a in appointments)
    assert {"scheduled", "completed", "cancelled"} <= set(statuses)
    for appointment in appointments:
        assert appointment["end_time"] > appointment["start_time"]
        assert appointment["created_at"] < appointment["start_time"]


def test_customers_look_like_people_and_businesses(seeded):
    customers = seeded.rows["customer"]
    assert any(c["is_business"] for c in customers)
    assert sum(bool(c["email"]) for c in customers) > len(customers) / 2
    for customer in customers:
        assert customer["first_name"] and customer["last_name"]
        if customer["email"]:
            assert "@" in customer["email"]
        if customer["phone"]:
            assert len(customer["phone_digits"]) == 10


def test_the_same_seed_makes_the_same_records(seeded, tmp_path):
    again = SeededDatabase(tmp_path)
    try:
        for model in ("customer", "vehicle", "workorder", "job", "lineitem", "payment"):
            assert without_times(again.rows[model]) == without_times(seeded.rows[model])
        assert [a["api_key"] for a in again.summary["accounts"]] != [
            a["api_key"] for a in seeded.summary["accounts"]
        ]
    finally:
        drop_database(again.url)


def test_it_refuses_a_database_that_is_not_empty(seeded):
    with pytest.raises(RuntimeError, match="already has shop records"):
        sandbox_command(seeded.url, "seed", "--scale", "small", "--json")
