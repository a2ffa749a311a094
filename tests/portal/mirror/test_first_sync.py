"""The first sync fills what pages need first: staff, open work orders, the newest page of
each list, then the rest from the end backwards; each page once; completeness recorded."""

from __future__ import annotations

from math import ceil

import pytest

from portal.mirror import books, sync
from portal.mirror.models import OPEN_STATUSES, ResourceState, SyncRun
from portal.mirror.resources import REGISTRY
from portal.shops.models import Shop
from portal.shops.signals import shop_disconnected


@pytest.mark.parametrize(
    ("number", "total", "after"),
    [(1, 450, 5), (5, 450, 4), (3, 450, 2), (2, 450, None), (1, 100, None), (1, 0, None)],
)
def test_a_listing_reads_page_one_then_from_the_last_page_backwards(number, total, after):
    assert sync.following(number, total, has_next=True) == after


def test_without_a_total_a_listing_reads_forwards_until_the_last_page():
    assert sync.following(3, None, has_next=True) == 4
    assert sync.following(3, None, has_next=False) is None


def test_the_newest_pass_reads_page_one_and_the_pages_of_the_last_hundred_records():
    # 450 records: page 5 holds the last 50, page 4 the 50 before them.
    assert [n for n in range(1, 6) if sync.is_newest(n, 450)] == [1, 4, 5]
    assert [n for n in range(1, 6) if sync.is_newest(n, 500)] == [1, 5]


@pytest.fixture
def listed(monkeypatch):
    """Every list request of the sync, as (resource, page, filters), in order; at 25 a page
    so that the shop's lists have several pages."""
    monkeypatch.setattr(sync, "PER_PAGE", 25)
    calls = []
    original = sync.ShopSync._list

    def spy(self, resource, page, **filters):
        calls.append((resource, page, filters))
        return original(self, resource, page, **filters)

    monkeypatch.setattr(sync.ShopSync, "_list", spy)
    return calls


def test_a_first_sync_lists_what_pages_need_first_and_every_page_once(connect_shop, truth, listed):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()
    assert not books.complete(shop, "appointments")
    run = sync.run(SyncRun.objects.create(shop=shop, mode="full").pk)
    assert run.status == "done", run.error

    totals = {r: len(truth.all(shop.remote_id, r)) for r in REGISTRY}
    employees = ceil(totals["employees"] / 25)
    assert [c[0] for c in listed[:employees]] == ["employees"] * employees
    opened = [c for c in listed if c[2]]
    assert [c[2]["status"] for c in opened] == sorted(
        (c[2]["status"] for c in opened), key=OPEN_STATUSES.index
    )
    assert listed.index(opened[-1]) < listed.index(("workorders", 1, {}))

    whole = [(resource, page) for resource, page, filters in listed if not filters]
    assert len(whole) == len(set(whole)) == sum(max(1, ceil(t / 25)) for t in totals.values())
    newest = whole[employees : employees + 2 * len(sync.NEWEST_FIRST)]
    for resource in sync.NEWEST_FIRST:
        last = ceil(totals[resource] / 25)
        pages = [page for r, page in newest if r == resource]
        assert pages[: 1 + (last > 1)] == ([1, last] if last > 1 else [1]), resource
        rest = [page for r, page in whole if r == resource][len(pages) :]
        assert rest == sorted(rest, reverse=True), resource
    assert all(books.complete(shop, r) for r in REGISTRY)
    assert books.arriving(shop) == []


def test_a_resource_is_complete_from_its_first_full_listing_until_its_rows_are_forgotten(
    connect_shop,
):
    shop = connect_shop(0)
    SyncRun.objects.filter(shop=shop).delete()
    assert books.arriving(shop) == list(REGISTRY)
    sync.run(SyncRun.objects.create(shop=shop, mode="full").pk)
    first = ResourceState.objects.get(shop=shop, resource="appointments").completed_at
    sync.run(SyncRun.objects.create(shop=shop, mode="full").pk)
    assert ResourceState.objects.get(shop=shop, resource="appointments").completed_at == first

    shop_disconnected.send(sender=Shop, shop=shop)
    assert not books.complete(shop, "appointments")
    assert books.complete(shop, "inventory")  # the catalogue stays
