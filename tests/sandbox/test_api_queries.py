"""Every list costs the same number of queries whatever the page size (in-process, counted)."""

import secrets
from datetime import UTC, datetime

import pytest
from django.test import Client, override_settings

from sandbox.core import services
from sandbox.core.keys import new_api_key
from sandbox.core.models import Account, Employee, Part, Shop

# One window for the whole test, so the rate limiter never sweeps (one extra query) mid-count.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_long_window")]


@pytest.fixture
def one_long_window():
    with override_settings(SANDBOX_RATE_WINDOW=10**9, SANDBOX_RATE_LIMIT=10**6):
        yield


def make_shop(rows: int) -> tuple[Client, Shop]:
    """A shop with `rows` records of every kind, and a client holding its account's key."""
    account = Account.objects.create(name=f"Garage {secrets.token_hex(4)}")
    shop = Shop.objects.create(account=account, name=account.name, slug=secrets.token_hex(6))
    _, key = new_api_key(account)
    for n in range(rows):
        tech = services.create_employee(
            shop, first_name="Dave", last_name=f"M{n}", role=Employee.Role.TECHNICIAN
        )
        customer = services.create_customer(
            shop, first_name="Sarah", last_name=f"Thompson{n}", phone="(555) 123-4567"
        )
        vehicle = services.create_vehicle(
            shop, customer_id=customer.id, year=2021, make="Ford", model="F-150"
        )
        part = Part.objects.create(shop=shop, part_number=f"P{n}", name="Oil filter", price=9)
        work_order = services.create_work_order(
            shop, customer_id=customer.id, vehicle_id=vehicle.id, technician_id=tech.id
        )
        for job in ("Oil change", "Brakes"):
            services.add_job(
                work_order,
                name=job,
                line_items=[
                    {"type": "labor", "description": "Labor", "quantity": 1, "unit_price": 90},
                    {
                        "type": "part",
                        "description": "Filter",
                        "quantity": 2,
                        "unit_price": 9,
                        "part_id": part.id,
                    },
                ],
            )
        services.record_payment(work_order, amount=10)
        services.create_appointment(
            shop,
            customer_id=customer.id,
            vehicle_id=vehicle.id,
            start_time=datetime(2030, 1, 1, 9, tzinfo=UTC),
        )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    client.get("/v1/shops")  # the key's first request opens its window (and sweeps once)
    return client, shop


LISTS = [
    "/v1/shops",
    "/v1/shops/{shop}/customers",
    "/v1/shops/{shop}/customers?search=555-123&is_business=false&created_after=2020-01-01",
    "/v1/shops/{shop}/vehicles?vin=&customer_id={customer}",
    "/v1/shops/{shop}/workorders",
    "/v1/shops/{shop}/workorders?status=draft&technician_id={technician}",
    "/v1/shops/{shop}/workorders/{work_order}/jobs",
    "/v1/shops/{shop}/appointments",
    "/v1/shops/{shop}/payments",
    "/v1/shops/{shop}/inventory",
    "/v1/shops/{shop}/employees?role=technician",
]


def queries_for(rows: int, url: str, django_assert_num_queries, expected: int) -> None:
    client, shop = make_shop(rows)
    ids = {
        "shop": shop.id,
        "customer": shop.customers.order_by("id").values_list("id", flat=True)[0],
        "technician": shop.employees.order_by("id").values_list("id", flat=True)[0],
        "work_order": shop.work_orders.order_by("id").values_list("id", flat=True)[0],
    }
    with django_assert_num_queries(expected):
        response = client.get(url.format(**ids) + ("&" if "?" in url else "?") + "per_page=100")
    assert response.status_code == 200, response.content
    assert len(response.json()["data"]) >= 1


# Authentication (1), rate counting (3: savepoint, upsert, release), the shop (1), the count
# (1), the page's ids (1), its rows (1), plus one per prefetched relation.
@pytest.mark.parametrize(
    ("url", "expected"),
    [(url, 8 - (url == "/v1/shops") + ("/jobs" in url) * 2) for url in LISTS],
)
@pytest.mark.parametrize("rows", [1, 12])
def test_a_list_costs_the_same_queries_for_one_row_and_many(
    rows, url, expected, django_assert_num_queries
):
    queries_for(rows, url, django_assert_num_queries, expected)


@pytest.mark.parametrize("rows", [1, 12])
def test_a_work_order_detail_costs_the_same_queries_whatever_its_jobs(
    rows, django_assert_num_queries
):
    client, shop = make_shop(rows)
    work_order = shop.work_orders.order_by("id").last()
    for n in range(rows):
        services.add_job(
            work_order,
            name=f"Extra {n}",
            line_items=[{"type": "fee", "description": "Fee", "quantity": 1, "unit_price": 1}],
        )
    # auth 1, rate 3, shop 1, work order 1, jobs 1, line items 1, payments 1
    with django_assert_num_queries(9):
        response = client.get(f"/v1/shops/{shop.id}/workorders/{work_order.id}")
    assert response.status_code == 200
    assert len(response.json()["data"]["jobs"]) == 2 + rows
