"""The day's figures, each as its definition says, in the shop's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.booking.models import Booking
from portal.dashboard import figures
from portal.mirror import records
from portal.mirror.models import Payment
from tests.support import factories

from .conftest import booking_of, local

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in New York (15:00 UTC): the week began on Monday the 4th.
NOW = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


def cal(shop):
    return figures.calendar(shop, now=NOW)


def paid(shop, amount: str, when: datetime, **fields):
    order = factories.work_order(shop, status="invoiced")
    return factories.payment(shop, order, amount=Decimal(amount), remote_created_at=when, **fields)


def test_the_days_of_the_calendar_begin_at_the_shops_midnight(shop):
    calendar = cal(shop)
    assert calendar.today.isoformat() == "2026-03-06"
    assert calendar.day_start == datetime(2026, 3, 6, 5, 0, tzinfo=UTC)  # EST is UTC-5
    assert calendar.week_start == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # Monday
    assert calendar.month_start == datetime(2026, 3, 1, 5, 0, tzinfo=UTC)


def test_revenue_nets_refunded_payments_out(shop):
    paid(shop, "100.00", NOW - timedelta(hours=1))
    paid(shop, "40.00", NOW - timedelta(hours=2), status="refunded")
    paid(shop, "-15.00", NOW - timedelta(hours=3))  # a refund sent as a negative payment
    assert figures.revenue(shop, cal(shop)).today == Decimal("85.00")


@pytest.mark.parametrize("status", ["pending", "failed", "", "voided"])
def test_revenue_counts_only_payments_that_succeeded(shop, status):
    paid(shop, "100.00", NOW - timedelta(hours=1))
    paid(shop, "40.00", NOW - timedelta(hours=1), status=status)
    assert figures.revenue(shop, cal(shop)).today == Decimal("100.00")


def test_a_refund_comes_off_the_day_it_happened_not_the_day_the_payment_was_taken(shop):
    monday = local(shop, datetime(2026, 3, 2).date(), "09:00")
    paid(shop, "100.00", monday)
    paid(shop, "40.00", monday, status="refunded", refunded_at=NOW - timedelta(hours=1))
    revenue = figures.revenue(shop, cal(shop))
    days = dict(revenue.per_day)
    assert days[monday.date()] == Decimal("140.00")  # both were taken on Monday
    assert revenue.today == Decimal("-40.00")  # the refund, on Friday
    assert revenue.week == revenue.month == Decimal("100.00")


def test_a_refund_of_last_month_is_taken_off_this_month(shop):
    paid(
        shop,
        "40.00",
        local(shop, datetime(2026, 2, 20).date(), "09:00"),
        status="refunded",
        refunded_at=local(shop, datetime(2026, 3, 3).date(), "09:00"),
    )
    revenue = figures.revenue(shop, cal(shop))
    assert (revenue.week, revenue.month) == (Decimal("-40.00"), Decimal("-40.00"))
    assert dict(revenue.per_day)[datetime(2026, 2, 20).date()] == Decimal("40.00")


def payment_seen(shop, status: str, at: datetime, remote_id: int = 7001) -> None:
    """AutoSync's payment as the sync or a work order's detail brings it, seen `at`."""
    records.apply(
        "payments",
        shop.pk,
        [
            {
                "id": remote_id,
                "workorder_id": 1,
                "customer_id": 1,
                "amount": 80.0,
                "method": "card",
                "status": status,
                "created_at": "2026-03-02T14:00:00Z",  # Monday
            }
        ],
        at,
    )


def test_the_mirror_notes_when_it_first_sees_a_taken_payment_refunded(shop):
    payment_seen(shop, "succeeded", NOW - timedelta(days=3))
    payment_seen(shop, "refunded", NOW - timedelta(hours=2))
    payment_seen(shop, "refunded", NOW - timedelta(hours=1))  # seen again: still then
    payment = Payment.objects.get(shop=shop, remote_id=7001)
    assert payment.refunded_at == NOW - timedelta(hours=2)
    revenue = figures.revenue(shop, cal(shop))
    assert revenue.today == Decimal("-80.00")
    assert dict(revenue.per_day)[datetime(2026, 3, 2).date()] == Decimal("80.00")


def test_a_payment_refunded_before_the_mirror_saw_it_nets_out_on_the_day_it_was_taken(shop):
    payment_seen(shop, "refunded", NOW - timedelta(hours=2))
    assert Payment.objects.get(shop=shop, remote_id=7001).refunded_at is None
    revenue = figures.revenue(shop, cal(shop))
    assert revenue.today == 0
    assert dict(revenue.per_day)[datetime(2026, 3, 2).date()] == 0


def test_an_older_sighting_of_a_refund_does_not_mark_a_payment_refunded(shop):
    payment_seen(shop, "succeeded", NOW - timedelta(hours=1))
    payment_seen(shop, "refunded", NOW - timedelta(hours=2))  # arrives late, and is older
    payment = Payment.objects.get(shop=shop, remote_id=7001)
    assert (payment.status, payment.refunded_at) == ("succeeded", None)


def test_revenue_counts_by_the_shops_local_day_not_utcs(shop):
    # 23:30 on the 5th in New York is already the 6th in UTC: yesterday for the shop.
    paid(shop, "70.00", local(shop, NOW.date() - timedelta(days=1), "23:30"))
    paid(shop, "30.00", local(shop, NOW.date(), "00:30"))
    revenue = figures.revenue(shop, cal(shop))
    assert revenue.today == Decimal("30.00")
    assert revenue.week == Decimal("100.00")


def test_revenue_of_the_week_and_month_start_on_monday_and_the_first(shop):
    paid(shop, "10.00", local(shop, datetime(2026, 3, 1).date(), "12:00"))  # Sunday the 1st
    paid(shop, "20.00", local(shop, datetime(2026, 3, 2).date(), "08:00"))  # Monday
    paid(shop, "40.00", local(shop, datetime(2026, 2, 28).date(), "12:00"))  # last month
    revenue = figures.revenue(shop, cal(shop))
    assert (revenue.today, revenue.week, revenue.month) == (0, Decimal("20.00"), Decimal("30.00"))


def test_revenue_leaves_out_other_shops_and_removed_payments(cast, shop):
    other = cast.stranger.memberships.get().shop
    paid(other, "500.00", NOW - timedelta(hours=1))
    paid(shop, "60.00", NOW - timedelta(hours=1), removed_at=NOW)
    assert figures.revenue(shop, cal(shop)).today == 0


def test_revenue_per_day_fills_the_days_without_payments_with_zero(shop):
    paid(shop, "30.00", local(shop, NOW.date(), "00:30"))
    paid(shop, "70.00", local(shop, NOW.date() - timedelta(days=1), "23:30"))
    days = figures.revenue(shop, cal(shop)).per_day
    assert len(days) == 30
    assert days[-1] == (NOW.date(), Decimal("30.00"))
    assert days[-2] == (NOW.date() - timedelta(days=1), Decimal("70.00"))
    assert sum(amount for _, amount in days) == Decimal("100.00")


def test_the_average_repair_order_is_the_mean_total_of_work_orders_completed_this_month(shop):
    this_month = NOW - timedelta(days=2)
    factories.work_order(shop, status="invoiced", total=Decimal("100"), completed_at=this_month)
    factories.work_order(shop, status="completed", total=Decimal("300"), completed_at=this_month)
    factories.work_order(
        shop, status="invoiced", total=Decimal("900"), completed_at=NOW - timedelta(days=40)
    )
    factories.work_order(shop, status="in_progress", total=Decimal("900"))
    average = figures.average_repair_order(shop, cal(shop))
    assert (average.amount, average.count) == (Decimal("200.00"), 2)


def test_no_average_repair_order_before_a_work_order_is_completed(shop):
    assert figures.average_repair_order(shop, cal(shop)) == figures.AverageOrder(None, 0)


def test_the_car_count_counts_each_vehicle_with_a_work_order_opened_today_once(shop):
    opened = local(shop, NOW.date(), "08:00")
    car, other_car = factories.vehicle(shop), factories.vehicle(shop)
    factories.work_order(shop, car=car, remote_created_at=opened)
    factories.work_order(shop, car=car, remote_created_at=opened)
    factories.work_order(shop, car=other_car, remote_created_at=opened)
    factories.work_order(
        shop, car=factories.vehicle(shop), remote_created_at=opened - timedelta(days=1)
    )
    assert figures.cars_today(shop, cal(shop)) == 2


def test_the_car_count_per_week_groups_by_the_shops_weeks(shop):
    factories.work_order(
        shop, car=factories.vehicle(shop), remote_created_at=local(shop, NOW.date(), "08:00")
    )
    # Sunday 23:30 in New York is Monday in UTC: still last week for the shop.
    sunday = local(shop, datetime(2026, 3, 1).date(), "23:30")
    factories.work_order(shop, car=factories.vehicle(shop), remote_created_at=sunday)
    weeks = figures.cars_per_week(shop, cal(shop))
    assert len(weeks) == 8
    assert weeks[-1] == (datetime(2026, 3, 2).date(), 1)
    assert weeks[-2] == (datetime(2026, 2, 23).date(), 1)


def test_appointments_today_mark_those_booked_online(shop):
    at = local(shop, NOW.date(), "11:00")
    online = factories.appointment(shop, at)
    booking_of(shop, at, appointment_remote_id=online.remote_id)
    factories.appointment(shop, at)  # by phone
    factories.appointment(shop, at, status="cancelled")
    factories.appointment(shop, at + timedelta(days=1))
    booking_of(shop, local(shop, NOW.date(), "15:00"), state=Booking.State.PENDING)  # on its way
    booking_of(shop, local(shop, NOW.date(), "16:00"), state=Booking.State.CANCELLED)
    assert figures.appointments_today(shop, cal(shop)) == figures.AppointmentCount(3, 2)


def test_the_schedule_lists_appointments_and_bookings_not_in_autosync_yet_in_order(shop):
    day = NOW.date()
    owner = factories.customer(shop, first_name="Olive", last_name="Owner")
    car = factories.vehicle(shop, owner, year=2020, make="Kia", model="Rio")
    phoned = factories.appointment(shop, local(shop, day, "09:00"), owner=owner, car=car)
    online = factories.appointment(shop, local(shop, day, "13:00"))
    booking_of(shop, online.start_time, appointment_remote_id=online.remote_id)
    booking_of(shop, local(shop, day, "11:00"), state=Booking.State.REQUESTED)
    factories.appointment(shop, local(shop, day + timedelta(days=3), "09:00"))  # too far
    visits = figures.schedule(shop, cal(shop))
    assert [(v.starts_at, v.online, bool(v.pending)) for v in visits] == [
        (phoned.start_time, False, False),
        (local(shop, day, "11:00"), True, True),
        (online.start_time, True, False),
    ]
    assert (visits[0].customer, visits[0].vehicle) == ("Olive Owner", "2020 Kia Rio")


def test_the_day_clocks_spring_forward_is_23_hours_and_keeps_its_payments(shop):
    # Sunday 8 March 2026: New York moves from EST to EDT at 02:00.
    now = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    sunday = datetime(2026, 3, 8).date()
    for clock in ("00:30", "01:59", "03:00", "23:30"):
        paid(shop, "10.00", local(shop, sunday, clock))
    paid(shop, "1.00", local(shop, sunday + timedelta(days=1), "00:10"))
    calendar = figures.calendar(shop, now=now)
    assert calendar.start_of(sunday + timedelta(days=1)) - calendar.start_of(sunday) == timedelta(
        hours=23
    )
    days = dict(figures.revenue(shop, calendar).per_day)
    assert days[sunday] == Decimal("40.00")
    assert days[sunday + timedelta(days=1)] == Decimal("1.00")
