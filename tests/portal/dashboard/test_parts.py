"""Parts below their reorder threshold, and the work orders waiting for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.dashboard import figures
from portal.mirror.models import LineItem, ShopNotice, WorkOrder
from tests.support import factories

pytestmark = pytest.mark.django_db


def needs(order: WorkOrder, *, part=None, description: str = "A part") -> None:
    """Give the order's first job a part line for `part` (by its id) or by `description`."""
    LineItem.objects.create(
        shop=order.shop,
        remote_id=order.remote_id * 10 + 9,
        job=order.jobs.first(),
        type="part",
        description=description,
        part_remote_id=part.remote_id if part else None,
    )


def test_parts_below_their_reorder_threshold_are_listed_emptiest_first(shop):
    factories.part(shop, name="Wiper blade", quantity=3, reorder_threshold=4)
    factories.part(shop, name="Cabin filter", quantity=0, reorder_threshold=2)
    factories.part(shop, name="Oil filter", quantity=4, reorder_threshold=4)  # at it: fine
    factories.part(shop, name="Spark plug", quantity=1, reorder_threshold=None)  # no threshold
    low = figures.low_parts(shop)
    assert [(item.part.name, item.out) for item in low] == [
        ("Cabin filter", True),
        ("Wiper blade", False),
    ]


def test_a_work_order_waiting_for_parts_shows_beside_the_low_part_on_its_line(shop):
    pads = factories.part(shop, name="Brake pad set", quantity=0, reorder_threshold=4)
    waiting = factories.work_order(shop, status="waiting_parts", number="WO-WAIT")
    needs(waiting, part=pads)
    busy = factories.work_order(shop, status="in_progress", number="WO-BAY")  # not waiting
    needs(busy, part=pads)
    [low] = figures.low_parts(shop)
    assert [order.number for order in low.waiting] == ["WO-WAIT"]


def test_a_line_without_a_part_id_matches_the_part_by_its_name(shop):
    factories.part(shop, name="Brake pad set", quantity=1, reorder_threshold=4)
    order = factories.work_order(shop, status="waiting_parts", number="WO-TYPED")
    needs(order, description="brake PAD set")
    [low] = figures.low_parts(shop)
    assert [o.number for o in low.waiting] == ["WO-TYPED"]


def test_parts_and_work_orders_of_another_shop_never_show(cast, shop):
    other = cast.stranger.memberships.get().shop
    theirs = factories.part(other, name="Brake pad set", quantity=0, reorder_threshold=4)
    needs(factories.work_order(other, status="waiting_parts"), part=theirs)
    ours = factories.part(shop, name="Brake pad set", quantity=0, reorder_threshold=4)
    [low] = figures.low_parts(shop)
    assert low.part == ours
    assert low.waiting == []


def test_a_low_stock_event_says_since_when_the_part_is_low(shop):
    part = factories.part(shop, quantity=1, reorder_threshold=4)
    when = timezone.now() - timedelta(hours=5)
    for occurred_at in (when - timedelta(days=20), when):
        ShopNotice.objects.create(
            shop=shop,
            kind=ShopNotice.Kind.LOW_STOCK,
            remote_id=part.remote_id,
            occurred_at=occurred_at,
        )
    [low] = figures.low_parts(shop)
    assert low.part.low_since == when
