"""The factories build mirror rows that read like the sync's, and the cast's vehicle owners."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.mirror.models import Customer, LineItem
from portal.shops.models import Membership
from tests.support import factories


@pytest.mark.django_db
def test_rows_of_one_shop_never_collide_on_their_remote_id(cast):
    first, second = factories.customer(cast.shop), factories.customer(cast.shop)
    assert first.remote_id != second.remote_id
    assert Customer.objects.filter(shop=cast.shop, removed_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_work_orders_jobs_and_line_items_add_up_to_its_totals(cast):
    owner = factories.customer(cast.shop)
    order = factories.work_order(
        cast.shop, owner, factories.vehicle(cast.shop, owner), jobs=3, lines_per_job=2
    )
    lines = LineItem.objects.filter(job__work_order=order)
    assert [job.name for job in order.jobs.all()] == ["Job 1", "Job 2", "Job 3"]
    assert lines.count() == 6
    assert sum(line.total for line in lines) == order.subtotal
    assert sum(job.subtotal for job in order.jobs.all()) == order.subtotal
    assert order.total == order.subtotal + order.tax == order.balance_due
    assert order.customer_name == "Dana Driver"


@pytest.mark.django_db
def test_a_work_orders_history_leads_to_its_status(cast):
    invoiced = factories.work_order(cast.shop, status="invoiced")
    waiting = factories.work_order(cast.shop, status="waiting_parts")
    chosen = factories.work_order(cast.shop, status="completed", history=("draft", "completed"))

    def history(order):
        return [entry.status for entry in order.status_history()]

    assert history(invoiced) == ["draft", "in_progress", "completed", "invoiced"]
    assert history(waiting) == ["draft", "waiting_parts"]
    assert history(chosen) == ["draft", "completed"]


@pytest.mark.django_db
def test_an_appointment_ends_its_length_after_it_starts(cast):
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    visit = factories.appointment(cast.shop, start, minutes=90, status="cancelled")
    assert visit.end_time - visit.start_time == timedelta(minutes=90)
    assert visit.status == "cancelled"


@pytest.mark.django_db
def test_a_payment_pays_its_work_order_for_its_customer(cast):
    owner = factories.customer(cast.shop)
    order = factories.work_order(cast.shop, owner)
    paid = factories.payment(cast.shop, order)
    assert paid.work_order_remote_id == order.remote_id
    assert paid.customer_remote_id == owner.remote_id
    assert paid.amount == order.total


@pytest.mark.django_db
def test_parts_and_employees_take_any_field_by_keyword(cast):
    low = factories.part(cast.shop, quantity=1)
    assert low.quantity < low.reorder_threshold
    assert low.price == Decimal("9.99")
    assert factories.employee(cast.shop, role="advisor").role == "advisor"


@pytest.mark.django_db
def test_the_owner_of_two_shops_is_one_email_at_shops_of_two_teams(cast, owners):
    customers = owners.two_shops.customers
    assert {c.email for c in customers} == {owners.two_shops.email}
    assert customers[0].shop == cast.shop
    teams = [
        set(Membership.objects.filter(shop=c.shop).values_list("user", flat=True))
        for c in customers
    ]
    assert teams[0].isdisjoint(teams[1])
    assert [v.customer_remote_id for v in owners.two_shops.vehicles] == [
        c.remote_id for c in customers
    ]


@pytest.mark.django_db
def test_the_stranger_owner_is_not_a_customer_of_the_casts_shop(cast, owners):
    assert [c.shop for c in owners.one_shop.customers] == [cast.shop]
    assert cast.shop not in {c.shop for c in owners.stranger.customers}
    assert not Customer.objects.filter(shop=cast.shop, email=owners.stranger.email).exists()
