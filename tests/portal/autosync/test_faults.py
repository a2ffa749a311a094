"""Under injected faults (5xx before and after the write, dropped connections, spurious 429s,
latency) the client still returns complete, correct data, and each create happens once."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from portal.autosync.client import iter_all
from portal.autosync.tokens import StaticToken

READ_FAULTS = "error=0.15,latency=0.05:0.5,reset=0.05,ratelimit=0.05"
WRITE_FAULTS = "error=0.1,error_after_commit=0.3,reset=0.1"
LISTS = [
    "list_customers",
    "list_vehicles",
    "list_work_orders",
    "list_appointments",
    "list_payments",
    "list_parts",
    "list_employees",
]


@pytest.fixture
def faulty(start_sandbox, make_client, fresh_key):
    """`faulty(faults)`: a client of a sandbox (on the shared database) injecting `faults`.

    At these fault rates (15-55 % of requests fail) four retries are not enough to make a
    failure unlikely over hundreds of requests; production faults are far rarer."""
    statuses: list = []

    def make(faults: str):
        server = start_sandbox(
            SANDBOX_FAULTS=faults, SANDBOX_FAULTS_SEED="7", SANDBOX_RATE_LIMIT="100000"
        )
        api = make_client(
            server,
            tokens=StaticToken(fresh_key),
            retries=10,
            backoff=0.02,
            on_request=lambda method, path, status, _: statuses.append(status),
        )
        api.statuses = statuses
        return api

    return make


def test_reads_through_faults_return_exactly_what_a_healthy_server_returns(faulty, api, shop_id):
    flaky = faulty(READ_FAULTS)
    for method in LISTS:
        expected = list(iter_all(getattr(api, method), shop_id))
        assert list(iter_all(getattr(flaky, method), shop_id, per_page=10)) == expected, method
    for work_order in api.list_work_orders(shop_id, per_page=5).items:
        detail = flaky.get_work_order(shop_id, work_order["id"])
        assert detail == api.get_work_order(shop_id, work_order["id"])
    # The faults did happen, and were ridden out.
    assert {429, 500} <= set(flaky.statuses)


def new_vin(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17))


def test_creates_through_server_errors_make_each_record_exactly_once(faulty, api, shop_id):
    flaky = faulty(WRITE_FAULTS)
    rng = random.Random(uuid.uuid4().int)
    technician = api.list_employees(shop_id, role="technician", status="active").items[0]
    start = (datetime.now(UTC) + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    for n in range(3):
        email = f"faults-{uuid.uuid4().hex[:10]}@example.com"
        customer = flaky.create_customer(
            shop_id, first_name="Fay", last_name=f"Ulty{n}", email=email, phone="(330) 555-0199"
        )
        assert [c["id"] for c in api.list_customers(shop_id, search=email).items] == [
            customer["id"]
        ]

        vin = new_vin(rng)
        vehicle = flaky.create_vehicle(
            shop_id,
            customer_id=customer["id"],
            year=2019,
            make="Subaru",
            model="Outback",
            vin=vin.lower(),
        )
        assert [v["id"] for v in api.list_vehicles(shop_id, vin=vin).items] == [vehicle["id"]]

        work_order = flaky.create_work_order(
            shop_id,
            customer_id=customer["id"],
            vehicle_id=vehicle["id"],
            technician_id=technician["id"],
            notes=f"visit {n}",
        )
        same = api.list_work_orders(shop_id, customer_id=customer["id"]).items
        assert [w["id"] for w in same] == [work_order["id"]]

        jobs = [
            flaky.create_job(shop_id, work_order["id"], name=name)
            for name in ("Oil Change", "Tire Rotation")
        ]
        listed = api.list_jobs(shop_id, work_order["id"]).items
        assert [j["id"] for j in listed] == [j["id"] for j in jobs]

        appointment = flaky.create_appointment(
            shop_id,
            customer_id=customer["id"],
            vehicle_id=vehicle["id"],
            start_time=start + timedelta(hours=n),
        )
        mine = [
            a
            for a in iter_all(api.list_appointments, shop_id)
            if a["customer_id"] == customer["id"]
        ]
        assert [a["id"] for a in mine] == [appointment["id"]]
    # Server errors and dropped connections happened, and were ridden out.
    assert flaky.statuses.count(500) >= 3 and None in flaky.statuses
