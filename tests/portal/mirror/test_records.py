"""Records at the boundary: what cannot be stored is skipped, named and counted; the rest of
the page goes on; amounts are never made up; strings lose their control characters."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from portal.mirror import records
from portal.mirror.models import Customer, Job, Part, Payment, ResourceState, Vehicle, WorkOrder
from portal.mirror.resources import REGISTRY

SEEN = datetime(2030, 1, 1, tzinfo=UTC)


def deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def customer(remote_id: int, **fields) -> dict:
    return {"id": remote_id, "first_name": "Ann", "last_name": "Lee", **fields}


def work_order(remote_id: int, **fields) -> dict:
    return {
        "id": remote_id,
        "status": "in_progress",
        "customer": {"id": 1, "name": "Ann Lee"},
        "vehicle": {"id": 2},
        "subtotal": 100.0,
        "tax": 8.0,
        "total": 108.0,
        **fields,
    }


@pytest.mark.parametrize(
    ("resource", "bad", "field"),
    [
        ("customers", customer(7, created_at="10000-01-01T00:00:00Z"), "created_at"),
        ("customers", customer(7, created_at="0001-01-01T00:00:00+05:00"), "created_at"),
        ("customers", customer(7, created_at=20240101), "created_at"),
        ("customers", customer(7, created_at="0001-01-01T00:00:03Z"), "created_at"),
        ("customers", customer(7, is_business="yes"), "is_business"),
        ("customers", customer(7, first_name={"a": 1}), "first_name"),
        ("customers", customer(7, address=deep(40)), "address"),
        ("customers", customer(7, score=float("nan")), "score"),
        ("vehicles", {"id": 7, "year": 2**31}, "year"),
        ("vehicles", {"id": 7, "mileage": "120000"}, "mileage"),
        ("vehicles", {"id": 7, "customer_id": 2**64}, "customer_id"),
        ("workorders", work_order(7, total=float("nan")), "total"),
        ("workorders", work_order(7, total="twelve"), "total"),
        ("workorders", work_order(7, total="1e400"), "total"),
        ("workorders", work_order(7, total=10**12), "total"),
        ("workorders", work_order(7, tax=None), "tax"),
        ("workorders", work_order(7, customer="Ann"), "customer"),
        ("payments", {"id": 7, "amount": "12.345.6"}, "amount"),
        ("inventory", {"id": 7, "cost": 1, "price": True, "quantity": 1}, "price"),
    ],
)
def test_a_record_that_cannot_be_stored_is_skipped_named_and_counted_and_the_page_goes_on(
    connect_shop, caplog, resource, bad, field
):
    shop = connect_shop(0)
    good = {
        "customers": customer(8),
        "vehicles": {"id": 8, "year": 2020},
        "workorders": work_order(8),
        "payments": {"id": 8, "amount": 10},
        "inventory": {"id": 8, "cost": 1, "price": 2, "quantity": 3},
    }[resource]
    with caplog.at_level(logging.WARNING, logger="portal.mirror.records"):
        applied = records.apply(resource, shop.pk, [bad, good, "not a record"], SEEN)
    model = REGISTRY[resource].model
    assert list(model.objects.filter(shop=shop).values_list("remote_id", flat=True)) == [8]
    assert len(applied.skipped) == 2  # the bad record, and the string that is not a record
    skip = applied.skipped[0]
    assert skip.remote_id == 7 and skip.field.startswith(field), skip
    state = ResourceState.objects.get(shop=shop, resource=resource)
    assert state.skipped == 2
    assert f"{resource} #7: {field}" in caplog.text


def test_the_skip_names_the_nested_field(connect_shop):
    shop = connect_shop(0)
    applied = records.apply(
        "workorders", shop.pk, [work_order(7, customer={"id": "one", "name": "x"})], SEEN
    )
    assert str(applied.skipped[0]).startswith("workorders #7: customer.id is not an integer")


def test_an_unparseable_amount_is_never_stored_as_zero(connect_shop):
    shop = connect_shop(0)
    records.apply("payments", shop.pk, [{"id": 1, "amount": 25.5}], SEEN)
    later = datetime(2031, 1, 1, tzinfo=UTC)
    applied = records.apply("payments", shop.pk, [{"id": 1, "amount": "n/a"}], later)
    assert applied.skipped and Payment.objects.get(shop=shop).amount == Decimal("25.50")
    assert records.money("n/a") is None and records.money(float("nan")) is None


def test_strings_from_autosync_lose_their_control_characters(connect_shop):
    shop = connect_shop(0)
    records.apply(
        "customers",
        shop.pk,
        [customer(1, first_name="Ann\nMarie\x00", last_name="Lee\u202e\x1b[31m", note="a\x00b")],
        SEEN,
    )
    row = Customer.objects.get(shop=shop)
    assert (row.first_name, row.last_name) == ("Ann Marie", "Lee\u202e[31m")
    assert row.payload["note"] == "ab"
    records.apply("workorders", shop.pk, [work_order(2, notes="line one\nline two\x07")], SEEN)
    assert WorkOrder.objects.get(shop=shop).notes == "line one\nline two"


def test_a_detail_whose_jobs_are_not_a_list_changes_nothing_and_is_reported(connect_shop):
    shop = connect_shop(0)
    good = work_order(
        3,
        jobs=[{"id": 31, "name": "Brakes", "subtotal": 50, "line_items": []}],
        amount_paid=0,
        balance_due=108,
    )
    records.apply_work_order_detail(shop.pk, good, SEEN)
    for jobs in ("brakes", {"id": 31}, [1, 2], [{"id": 32, "subtotal": "NaN"}]):
        later = datetime(2031, 1, 1, tzinfo=UTC)
        applied = records.apply_work_order_detail(shop.pk, {**good, "jobs": jobs}, later)
        assert applied.skipped and applied.skipped[0].field.startswith("jobs")
    assert list(Job.objects.filter(shop=shop).values_list("remote_id", flat=True)) == [31]
    assert ResourceState.objects.get(shop=shop, resource="workorders").skipped == 4


def test_numbers_at_the_columns_limits_are_kept(connect_shop):
    shop = connect_shop(0)
    records.apply("vehicles", shop.pk, [{"id": 2**63 - 1, "year": 2**31 - 1}], SEEN)
    records.apply("inventory", shop.pk, [{"id": 1, "cost": "9999999999.99", "price": 0}], SEEN)
    assert Vehicle.objects.get(shop=shop).year == 2**31 - 1
    assert Part.objects.get(shop=shop).cost == Decimal("9999999999.99")


def test_a_record_a_webhook_adds_keeps_the_remote_total_in_step(connect_shop):
    shop = connect_shop(0)
    records.apply("customers", shop.pk, [customer(1), customer(2)], SEEN)
    ResourceState.objects.create(shop=shop, resource="customers", remote_total=2)
    records.apply("customers", shop.pk, [customer(2, first_name="Changed")], SEEN)
    assert ResourceState.objects.get(shop=shop, resource="customers").remote_total == 2
    records.apply("customers", shop.pk, [customer(3)], SEEN)  # new at AutoSync too
    state = ResourceState.objects.get(shop=shop, resource="customers")
    assert state.remote_total == Customer.objects.filter(shop=shop).count() == 3
