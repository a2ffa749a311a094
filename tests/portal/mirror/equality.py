"""The proof the mirror is right: every field it keeps, compared with AutoSync over HTTP."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from portal.mirror import records
from portal.mirror.models import ACTIVE_STATUSES, WorkOrder
from portal.mirror.resources import REGISTRY, RESOURCES
from portal.shops.models import Shop

from .conftest import Truth


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def assert_mirror_equals(shop: Shop, truth: Truth, resources=RESOURCES) -> dict[str, int]:
    """Fails on the first difference; the number of records compared per resource."""
    compared = {}
    for resource in resources:
        remote = truth.all(shop.remote_id, resource)
        kind = REGISTRY[resource]
        everything = kind.model.objects.filter(shop=shop)
        rows = {r.remote_id: r for r in everything.live()}
        assert sorted(rows) == sorted(remote), f"{resource}: other records than AutoSync's"
        assert everything.count() == len(remote), f"{resource}: extra or duplicate rows"
        for remote_id, item in remote.items():
            row = rows[remote_id]
            assert row.payload == {k: v for k, v in item.items() if k not in records.DETAIL_ONLY}
            for column, value in kind.read(records.Fields(item)).items():
                assert getattr(row, column) == value, (resource, remote_id, column)
            assert row.confirmed_at is not None
        compared[resource] = len(remote)
    if "customers" in resources:
        sample = truth.all(shop.remote_id, "customers")
        for remote_id, item in sample.items():  # independent of the mapping under test
            row = shop and REGISTRY["customers"].model.objects.get(shop=shop, remote_id=remote_id)
            assert row.email == (item["email"] or "")
            assert (row.first_name, row.last_name) == (item["first_name"], item["last_name"])
    if "workorders" in resources:
        compared["details"] = assert_open_details_equal(shop, truth)
    return compared


def assert_open_details_equal(shop: Shop, truth: Truth) -> int:
    """Active work orders carry their detail: jobs, line items, amounts paid and due; so does
    any other whose detail was fetched (it must be as fresh)."""
    orders = (
        WorkOrder.objects.of(shop)
        .live()
        .filter(Q(status__in=ACTIVE_STATUSES) | Q(detail_observed_at__isnull=False))
    )
    for order in orders:
        detail = truth.work_order(shop.remote_id, order.remote_id)
        assert order.status == detail["status"]
        assert order.total == cents(detail["total"])
        assert order.detail_observed_at is not None, order.remote_id
        assert order.amount_paid == cents(detail["amount_paid"])
        assert order.balance_due == cents(detail["balance_due"])
        jobs = [
            (
                j.remote_id,
                j.name,
                j.subtotal,
                [
                    (li.remote_id, li.type, li.description, li.quantity, li.unit_price, li.total)
                    for li in j.line_items.all()
                ],
            )
            for j in order.jobs.all()
        ]
        assert jobs == [
            (
                j["id"],
                j["name"],
                cents(j["subtotal"]),
                [
                    (
                        li["id"],
                        li["type"],
                        li["description"],
                        cents(li["quantity"]),
                        cents(li["unit_price"]),
                        cents(li["total"]),
                    )
                    for li in j["line_items"]
                ],
            )
            for j in detail["jobs"]
        ], order.remote_id
    return orders.count()
