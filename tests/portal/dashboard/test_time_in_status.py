"""How long each open work order has been in its status, and which are stuck past the shop's
limit for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.dashboard import figures
from portal.dashboard.models import StuckThreshold, thresholds_for
from portal.mirror.models import WorkOrder, WorkOrderStatus
from tests.support import factories

pytestmark = pytest.mark.django_db


def seen(order: WorkOrder, *entries: tuple[str, timedelta]) -> None:
    """Replace the order's history with `entries` (status, how long ago it was seen)."""
    order.statuses.all().delete()
    now = timezone.now()
    WorkOrderStatus.objects.bulk_create(
        WorkOrderStatus(work_order=order, status=status, seen_at=now - ago)
        for status, ago in entries
    )


def since(order: WorkOrder):
    return figures.with_time_in_status(WorkOrder.objects.filter(pk=order.pk)).get().since


def test_time_in_status_counts_from_when_the_current_status_was_first_seen(shop):
    order = factories.work_order(shop, status="waiting_parts")
    seen(order, ("draft", timedelta(days=5)), ("waiting_parts", timedelta(days=3)))
    assert abs(since(order) - (timezone.now() - timedelta(days=3))) < timedelta(seconds=5)


def test_a_repeat_of_the_same_status_does_not_restart_the_clock(shop):
    order = factories.work_order(shop, status="waiting_parts")
    seen(
        order,
        ("in_progress", timedelta(days=4)),
        ("waiting_parts", timedelta(days=3)),
        ("waiting_parts", timedelta(hours=1)),  # a webhook about something else
    )
    assert abs(since(order) - (timezone.now() - timedelta(days=3))) < timedelta(seconds=5)


def test_a_status_entered_again_counts_from_its_latest_return(shop):
    order = factories.work_order(shop, status="in_progress")
    seen(
        order,
        ("in_progress", timedelta(days=4)),
        ("waiting_parts", timedelta(days=3)),
        ("in_progress", timedelta(hours=2)),
    )
    assert abs(since(order) - (timezone.now() - timedelta(hours=2))) < timedelta(seconds=5)


def test_a_status_first_seen_at_the_first_sync_counts_from_autosyncs_last_change(shop):
    last_change = timezone.now() - timedelta(days=3)
    order = factories.work_order(shop, status="waiting_parts", remote_updated_at=last_change)
    seen(order, ("waiting_parts", timedelta(minutes=5)))  # the first sync, just now
    assert since(order) == last_change


def test_a_later_change_of_the_work_order_does_not_restart_the_clock(shop):
    order = factories.work_order(shop, status="waiting_parts")
    seen(order, ("in_progress", timedelta(days=4)), ("waiting_parts", timedelta(days=3)))
    WorkOrder.objects.filter(pk=order.pk).update(remote_updated_at=timezone.now())  # notes
    assert abs(since(order) - (timezone.now() - timedelta(days=3))) < timedelta(seconds=5)


def test_without_a_status_seen_it_counts_from_when_the_work_order_was_opened(shop):
    opened = timezone.now() - timedelta(days=6)
    order = factories.work_order(shop, status="draft", remote_created_at=opened)
    seen(order)
    assert since(order) == opened


def stuck_board(shop):
    orders = list(figures.board(shop))
    return {
        row.work_order.number: row.stuck
        for row in figures.board_rows(shop, orders, thresholds_for(shop))
    }


def test_the_board_flags_work_orders_past_the_default_limit_of_their_status(shop):
    late = factories.work_order(shop, status="waiting_parts", number="WO-LATE")
    seen(late, ("waiting_parts", timedelta(days=3)))
    fresh = factories.work_order(shop, status="waiting_parts", number="WO-FRESH")
    seen(fresh, ("waiting_parts", timedelta(days=1)))
    done = factories.work_order(shop, status="completed", number="WO-DONE")  # no limit
    seen(done, ("completed", timedelta(days=30)))
    assert stuck_board(shop) == {"WO-LATE": True, "WO-FRESH": False, "WO-DONE": False}


def test_the_shops_own_limit_decides(shop):
    order = factories.work_order(shop, status="waiting_parts", number="WO-1")
    seen(order, ("waiting_parts", timedelta(hours=30)))
    assert stuck_board(shop) == {"WO-1": False}
    StuckThreshold.objects.create(shop=shop, status="waiting_parts", hours=24)
    assert stuck_board(shop) == {"WO-1": True}


def test_the_board_lists_the_longest_waiting_first_within_each_status(shop):
    for number, status, days in (
        ("A", "in_progress", 1),
        ("B", "draft", 1),
        ("C", "in_progress", 3),
        ("D", "waiting_parts", 2),
    ):
        seen(
            factories.work_order(shop, status=status, number=number), (status, timedelta(days=days))
        )
    factories.work_order(shop, status="invoiced", number="GONE")
    assert [order.number for order in figures.board(shop)] == ["B", "C", "A", "D"]


def test_stuck_only_and_the_counts_per_status_agree(shop):
    for number, days in (("A", 3), ("B", 1), ("C", 4)):
        order = factories.work_order(shop, status="waiting_parts", number=number)
        seen(order, ("waiting_parts", timedelta(days=days)))
    assert [o.number for o in figures.board(shop, stuck=thresholds_for(shop))] == ["C", "A"]
    counts = figures.open_by_status(shop, figures.calendar(shop), thresholds_for(shop))
    waiting = next(count for count in counts if count.status == "waiting_parts")
    assert (waiting.count, waiting.stuck) == (3, 2)
    assert [
        row.work_order.number for row in figures.stuck_work_orders(shop, thresholds_for(shop))
    ] == ["C", "A"]


def test_a_duration_reads_as_people_say_it():
    assert figures.duration(timedelta(minutes=12, seconds=40)) == "12 min"
    assert figures.duration(timedelta(hours=5, minutes=20)) == "5 h 20 min"
    assert figures.duration(timedelta(hours=2)) == "2 h"
    assert figures.duration(timedelta(days=1, hours=4)) == "1 day 4 h"
    assert figures.duration(timedelta(days=3)) == "3 days"
