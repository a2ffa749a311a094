"""The mirror's public reads (portal.mirror.queries and the model querysets), on rows built
directly: no sandbox needed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from portal.mirror import queries
from portal.mirror.models import (
    Customer,
    Job,
    LineItem,
    Payment,
    ResourceState,
    Vehicle,
    WorkOrder,
    WorkOrderStatus,
)
from portal.shops.models import Connection, Shop
from tests.support.portal import connection_with

pytestmark = pytest.mark.django_db
ids = count(1000)


def shop(name: str = "Main Street Garage", status: str = Connection.Status.CONNECTED) -> Shop:
    return Shop.objects.create(
        remote_id=next(ids), name=name, connection=connection_with(status=status)
    )


def row(model, shop: Shop, **fields):
    now = timezone.now()
    return model.objects.create(
        shop=shop, remote_id=next(ids), observed_at=now, confirmed_at=now, **fields
    )


def customer(shop: Shop, email: str, **fields) -> Customer:
    return row(Customer, shop, email=email, first_name="Ann", last_name="Lee", **fields)


def work_order(shop: Shop, owner: Customer, status: str = "in_progress", **fields) -> WorkOrder:
    return row(WorkOrder, shop, status=status, customer_remote_id=owner.remote_id, **fields)


def test_live_leaves_out_rows_autosync_no_longer_has():
    garage = shop()
    kept = customer(garage, "a@example.com")
    customer(garage, "b@example.com", removed_at=timezone.now())
    assert list(Customer.objects.live()) == [kept]


def test_of_keeps_one_shops_rows_given_the_shop_or_its_pk():
    garage, other = shop(), shop("Elsewhere Motors")
    mine = customer(garage, "a@example.com")
    customer(other, "a@example.com")
    assert list(Customer.objects.of(garage)) == [mine]
    assert list(Customer.objects.of(garage.pk)) == [mine]


def test_open_and_active_work_orders_follow_the_status_vocabulary():
    garage = shop()
    owner = customer(garage, "a@example.com")
    orders = {s: work_order(garage, owner, s) for s in ("draft", "completed", "invoiced")}
    assert set(WorkOrder.objects.open()) == {orders["draft"], orders["completed"]}
    assert set(WorkOrder.objects.active()) == {orders["draft"]}


def test_a_customer_of_two_shops_finds_their_records_in_both_by_email_in_any_case():
    main, elsewhere = shop(), shop("Elsewhere Motors")
    at_main = customer(main, "Ann.Lee@Example.com")
    at_elsewhere = customer(elsewhere, "ann.lee@example.com")
    car = row(Vehicle, main, customer_remote_id=at_main.remote_id, make="Honda")
    van = row(Vehicle, elsewhere, customer_remote_id=at_elsewhere.remote_id, make="Ford")
    order = work_order(elsewhere, at_elsewhere)
    paid = row(Payment, main, customer_remote_id=at_main.remote_id, amount=Decimal("10.00"))

    assert set(queries.customers_by_email("  ANN.LEE@example.COM ")) == {at_main, at_elsewhere}
    assert set(queries.vehicles_of("ann.lee@example.com")) == {car, van}
    assert list(queries.work_orders_of("ann.lee@example.com")) == [order]
    assert list(queries.payments_of("ann.lee@example.com")) == [paid]


def test_a_stranger_finds_nothing_of_another_persons_records():
    garage = shop()
    ann = customer(garage, "ann@example.com")
    # Bob's ids collide with Ann's in another shop: ids are per shop, so nothing leaks.
    other = shop("Elsewhere Motors")
    bob = Customer.objects.create(
        shop=other,
        remote_id=ann.remote_id,
        email="bob@example.com",
        observed_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    row(Vehicle, garage, customer_remote_id=ann.remote_id)
    work_order(garage, ann)
    assert list(queries.vehicles_of(bob.email)) == []
    assert list(queries.work_orders_of(bob.email)) == []
    assert list(queries.work_orders_of("")) == []
    assert list(queries.customers_by_email("")) == []


def test_a_removed_customer_or_a_disconnected_shop_shows_nothing():
    gone = shop()
    customer(gone, "ann@example.com", removed_at=timezone.now())
    disconnected = shop("Closed Garage", status=Connection.Status.DISCONNECTED)
    owner = customer(disconnected, "ann@example.com")
    work_order(disconnected, owner)
    ungranted = shop("Unticked Garage")
    Shop.objects.filter(pk=ungranted.pk).update(granted=False)
    customer(ungranted, "ann@example.com")
    assert list(queries.customers_by_email("ann@example.com")) == []
    assert list(queries.work_orders_of("ann@example.com")) == []


def test_a_paused_shop_still_shows_its_records():
    paused = shop(status=Connection.Status.NEEDS_RECONNECTING)
    ann = customer(paused, "ann@example.com")
    assert list(queries.customers_by_email("ann@example.com")) == [ann]


def test_a_vehicle_owners_lists_cost_one_query_each_with_one_shop_or_many(
    django_assert_num_queries,
):
    def lists():
        for rows in (
            queries.vehicles_of("ann@example.com"),
            queries.work_orders_of("ann@example.com"),
            queries.payments_of("ann@example.com"),
        ):
            for found in rows:
                assert found.shop.is_syncable is not None  # the shop comes with the row
        return len(list(queries.work_orders_of("ann@example.com")))

    for shops in (1, 5):
        for _ in range(shops):
            garage = shop()
            ann = customer(garage, "ann@example.com")
            row(Vehicle, garage, customer_remote_id=ann.remote_id)
            work_order(garage, ann)
            row(Payment, garage, customer_remote_id=ann.remote_id, amount=Decimal(1))
        with django_assert_num_queries(4):
            lists()


def detailed(garage: Shop, jobs: int) -> WorkOrder:
    ann = customer(garage, "ann@example.com")
    order = work_order(garage, ann)
    for position in range(jobs):
        job = Job.objects.create(
            shop=garage, remote_id=next(ids), work_order=order, name=f"Job {position}"
        )
        for _ in range(2):
            LineItem.objects.create(shop=garage, remote_id=next(ids), job=job, type="labor")
        row(Payment, garage, work_order_remote_id=order.remote_id, amount=Decimal(5))
        WorkOrderStatus.objects.create(
            work_order=order, status="in_progress", seen_at=timezone.now() - timedelta(hours=jobs)
        )
    return order


@pytest.mark.parametrize("jobs", [1, 8])
def test_a_work_order_page_costs_six_queries_whatever_it_holds(jobs, django_assert_num_queries):
    garage = shop()
    order = detailed(garage, jobs)
    with django_assert_num_queries(6):
        page = queries.work_order_page(WorkOrder.objects.of(garage), order.remote_id)
        lines = [line for job in page.jobs for line in job.line_items.all()]
    assert len(page.jobs) == jobs and len(lines) == 2 * jobs
    assert len(page.payments) == jobs
    assert [s.status for s in page.history] == ["in_progress"]
    assert page.freshness.paused is False


def test_a_work_order_page_asks_for_a_fresh_detail():
    garage = shop()
    order = detailed(garage, 1)
    queries.work_order_page(WorkOrder.objects.of(garage), order.remote_id)
    order.refresh_from_db()
    assert order.wanted_until > timezone.now()


def test_a_repeat_view_of_a_wanted_work_order_writes_nothing_until_half_its_window_is_left(
    django_assert_num_queries,
):
    garage = shop()
    order = detailed(garage, 1)
    order.want(300)
    until = WorkOrder.objects.get(pk=order.pk).wanted_until
    with django_assert_num_queries(0):
        order.want(300)
    order.wanted_until = timezone.now() + timedelta(seconds=100)
    order.want(300)
    assert WorkOrder.objects.get(pk=order.pk).wanted_until > until


def test_a_work_order_outside_what_the_viewer_may_see_is_not_found():
    garage, other = shop(), shop("Elsewhere Motors")
    order = detailed(other, 1)
    assert queries.work_order_page(WorkOrder.objects.of(garage), order.remote_id) is None
    assert (
        queries.work_order_page(queries.work_orders_of("bob@example.com"), order.remote_id) is None
    )
    assert queries.work_order_page(queries.work_orders_of("ann@example.com"), order.remote_id)


def test_freshness_is_the_age_of_autosyncs_last_confirmation():
    garage = shop()
    ann = customer(garage, "ann@example.com")
    Customer.objects.filter(pk=ann.pk).update(confirmed_at=timezone.now() - timedelta(minutes=3))
    ann = Customer.objects.select_related("shop__connection").get(pk=ann.pk)
    fresh = queries.freshness(ann)
    assert timedelta(minutes=3) <= fresh.age < timedelta(minutes=4)
    assert fresh.paused is False


def test_a_shop_needing_a_reconnect_is_paused():
    garage = shop(status=Connection.Status.NEEDS_RECONNECTING)
    ann = Customer.objects.select_related("shop__connection").get(
        pk=customer(garage, "ann@example.com").pk
    )
    assert queries.freshness(ann).paused is True
    assert queries.shop_freshness(garage).paused is True


def test_a_shops_freshness_is_its_latest_successful_sync():
    garage = shop()
    assert queries.shop_freshness(garage).confirmed_at is None
    assert queries.shop_freshness(garage).age is None
    earlier, later = timezone.now() - timedelta(hours=1), timezone.now() - timedelta(minutes=1)
    ResourceState.objects.create(shop=garage, resource="customers", last_success_at=earlier)
    ResourceState.objects.create(shop=garage, resource="workorders", last_success_at=later)
    assert queries.shop_freshness(garage).confirmed_at == later
