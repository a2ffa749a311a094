"""Connection and sync health: the books per resource, the API budget per hour, webhooks
received and refused, "sync now", and the alerts at the top of the shop's pages."""

# The fixtures come from manage_support (imported, so tests name them as parameters).
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.booking.models import OpeningHours
from portal.dashboard.health import alerts_for, budget_by_hour
from portal.mirror import books, tasks
from portal.mirror.models import (
    RequestCount,
    ResourceState,
    SyncRun,
    WebhookEvent,
    WebhookRefusal,
)
from portal.mirror.resources import REGISTRY
from portal.shops.models import Connection, Shop
from tests.support.factories import customer

from .manage_support import shop  # noqa: F401

pytestmark = pytest.mark.django_db


def url(shop, path: str = "") -> str:
    return f"/shops/{shop.pk}/health/{path}"


def all_complete(shop) -> None:
    for name in REGISTRY:
        books.completed(shop, name)
        books.succeeded(shop, name)


def event(shop, n: int = 0, **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(
        key=f"dlv_{shop.pk}_{n}",
        name="customer.updated",
        shop_remote_id=shop.remote_id,
        body={},
        **fields,
    )


@pytest.fixture
def queued_syncs(monkeypatch):
    """Syncs queued, instead of queueing them; none waiting to begin with (connecting the
    cast's shop asked for its first sync)."""
    SyncRun.objects.all().delete()
    runs: list[int] = []
    monkeypatch.setattr(tasks.run_sync, "delay", runs.append)
    return runs


# --- The page -----------------------------------------------------------------------------


def test_the_page_shows_each_resource_against_autosyncs_total(client, cast, shop):
    for n in range(3):
        customer(shop, first_name=f"C{n}")
    books.note_total(shop, "customers", 5)
    books.completed(shop, "customers")
    books.failed(shop, "vehicles", "AutoSync answered 503")
    ResourceState.objects.filter(shop=shop, resource="vehicles").update(
        skipped=2, last_skipped="vehicle 7: year is not a number"
    )
    client.force_login(cast.teammate)
    page = client.get(url(shop)).content.decode()
    customers = page[page.index(">Customers</th>") :][:600]
    assert '<td class="number">3</td>' in customers and '<td class="number">5</td>' in customers
    vehicles = page[page.index(">Vehicles</th>") :][:800]
    assert "Still arriving" in vehicles and "AutoSync answered 503" in vehicles
    assert "year is not a number" in vehicles


def test_the_page_charts_the_requests_of_each_hour_with_a_table_beside(client, cast, shop):
    now = timezone.now()
    RequestCount.objects.create(shop=shop, resource="customers", minute=now, count=7)
    RequestCount.objects.create(shop=shop, resource="vehicles", minute=now, count=5)
    RequestCount.objects.create(
        shop=shop, resource="customers", minute=now - timedelta(hours=3), count=4
    )
    RequestCount.objects.create(  # older than a day: not shown
        shop=shop, resource="customers", minute=now - timedelta(hours=30), count=99
    )
    hours = budget_by_hour(shop, now)
    assert len(hours) == 24 and hours[-1]["count"] == 12 and hours[-4]["count"] == 4
    assert sum(h["count"] for h in hours) == 16
    client.force_login(cast.teammate)
    page = client.get(url(shop)).content.decode()
    assert 'role="img"' in page and '<title id="budget-chart-title">' in page
    assert page.count('class="bar"') == 24
    assert "16 requests in all" in page


def test_the_page_counts_webhooks_received_and_refused_in_the_last_day(client, cast, shop):
    event(shop, 1)
    event(shop, 2)
    event(shop, 3, received_at=timezone.now() - timedelta(hours=30))
    books.count_refusal("signature", shop.remote_id)
    client.force_login(cast.teammate)
    page = client.get(url(shop)).content.decode()
    assert "<dt>Received, last 24 hours</dt><dd>2</dd>" in page
    assert "<dt>Refused, last 24 hours</dt><dd>1 " in page


def test_the_receiver_counts_a_signed_but_unreadable_delivery_against_its_shop(
    client, cast, settings
):
    settings.AUTOSYNC_WEBHOOK_SECRET = "whsec_health"
    body = json.dumps(
        {"event": "customer.created", "shop_id": cast.shop.remote_id, "data": [1]}
    ).encode()
    for _ in range(2):
        response = client.post(
            "/webhooks/autosync/",
            data=body,
            content_type="application/json",
            HTTP_X_AUTOSYNC_SIGNATURE=hmac.new(b"whsec_health", body, hashlib.sha256).hexdigest(),
        )
        assert response.status_code == 400
    since = timezone.now() - timedelta(hours=1)
    assert books.refusals_since(cast.shop, since) == 2


def test_a_stranger_cannot_raise_a_shops_refused_count_with_unsigned_deliveries(
    client, cast, settings
):
    settings.AUTOSYNC_WEBHOOK_SECRET = "whsec_health"
    body = json.dumps({"event": "customer.created", "shop_id": cast.shop.remote_id}).encode()
    for signature in ("sha256=" + "0" * 64, None):
        headers = {"HTTP_X_AUTOSYNC_SIGNATURE": signature} if signature else {}
        response = client.post(
            "/webhooks/autosync/", data=body, content_type="application/json", **headers
        )
        assert response.status_code == 401
    since = timezone.now() - timedelta(hours=1)
    assert books.refusals_since(cast.shop, since) == 0
    assert WebhookRefusal.objects.get(shop_remote_id=0, reason="signature").count == 2


# --- Sync now -----------------------------------------------------------------------------


def test_sync_now_starts_one_sync_and_shows_its_progress(client, cast, shop, queued_syncs):
    client.force_login(cast.teammate)
    response = client.post(url(shop, "sync/"))
    assert response.status_code == 302 and response["Location"].endswith("/health/#sync")
    client.post(url(shop, "sync/"))  # a second click joins the sync that is running
    assert SyncRun.objects.filter(shop=shop).count() == 1
    assert len(queued_syncs) == 1
    page = client.get(url(shop)).content.decode()
    assert "Sync started" in page
    assert f'hx-get="/shops/{shop.pk}/sync/?panel=1"' in page


def test_sync_now_on_a_shop_that_needs_reconnecting_starts_nothing(
    client, cast, shop, queued_syncs
):
    cast.connection.set_status(Connection.Status.NEEDS_RECONNECTING, "Grant revoked")
    cast.connection.save()
    client.force_login(cast.owner)
    client.post(url(shop, "sync/"))
    assert not SyncRun.objects.filter(shop=shop).exists()
    page = client.get(url(shop)).content.decode()
    assert "cannot sync until its connection is fixed" in page
    assert '<form method="post" action="/connect/autosync/"' in page  # an owner reconnects


# --- Alerts -------------------------------------------------------------------------------


def _at(shop, day_offset: int, hour: int) -> datetime:
    """A Monday (open 08:00 to 17:00 by default) or Sunday (closed) at `hour`, shop time."""
    today = timezone.now().astimezone(shop.zone).date()
    monday = today - timedelta(days=today.weekday())
    day = monday + timedelta(days=day_offset)
    return datetime.combine(day, time(hour), tzinfo=shop.zone)


def test_a_healthy_shop_has_no_alerts(shop):
    all_complete(shop)
    event(shop, received_at=_at(shop, 0, 10) - timedelta(minutes=5))
    assert alerts_for(shop, now=_at(shop, 0, 10)) == []


def test_a_shop_that_needs_reconnecting_says_so_and_links_to_reconnect(cast, shop):
    cast.connection.set_status(Connection.Status.NEEDS_RECONNECTING)
    cast.connection.save()
    shop.refresh_from_db()
    [alert] = alerts_for(shop)
    assert alert.tone == "bad" and "reconnect" in alert.message
    assert alert.link == f"/shops/{shop.pk}/"


def test_failing_updates_and_resources_still_arriving_are_named(shop):
    all_complete(shop)
    books.failed(shop, "payments", "AutoSync answered 500")
    books.forget_completeness(shop, ["workorders"])
    messages = [a.message for a in alerts_for(shop, now=_at(shop, 6, 10))]
    assert any("failing (payments)" in m for m in messages)
    assert any("Still arriving from AutoSync: work orders." in m for m in messages)


def test_no_webhook_for_hours_is_an_alert_while_the_shop_is_open_only(shop):
    all_complete(shop)
    event(shop, received_at=_at(shop, 0, 7))
    open_now = alerts_for(shop, now=_at(shop, 0, 11))
    assert [a.tone for a in open_now] == ["warn"] and "No live update" in open_now[0].message
    assert alerts_for(shop, now=_at(shop, 6, 11)) == []  # Sunday: closed
    OpeningHours.objects.filter(shop=shop).delete()
    assert alerts_for(shop, now=_at(shop, 0, 11)) == []


def test_the_alerts_cost_the_same_queries_whether_the_shop_is_open_or_not(shop):
    all_complete(shop)
    shop = Shop.objects.select_related("connection").get(pk=shop.pk)
    counts = []
    for moment in (_at(shop, 0, 11), _at(shop, 6, 11)):  # a Monday, open; a Sunday, closed
        with CaptureQueriesContext(connection) as queries:
            alerts_for(shop, now=moment)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_alerts_show_at_the_top_of_the_inbox(client, cast, shop):
    books.forget_completeness(shop, ["appointments"])
    client.force_login(cast.teammate)
    page = client.get(f"/shops/{shop.pk}/inbox/").content.decode()
    assert 'aria-label="Problems with AutoSync"' in page and "Still arriving" in page


# --- Who may see it -----------------------------------------------------------------------


def test_a_stranger_gets_404_on_the_health_page_and_sync_now(client, cast, shop, queued_syncs):
    client.force_login(cast.stranger)
    assert client.get(url(shop)).status_code == 404
    assert client.post(url(shop, "sync/")).status_code == 404
    assert not SyncRun.objects.filter(shop=shop).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, shop):
    for response in (client.get(url(shop)), client.post(url(shop, "sync/"))):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_sync_now_needs_the_csrf_token(cast, shop, queued_syncs):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.teammate)
    assert strict.post(url(shop, "sync/")).status_code == 403
    assert not SyncRun.objects.filter(shop=shop).exists()


# --- Cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
def test_the_health_page_costs_the_same_queries_with_one_row_or_many(
    client, cast, shop, rows, django_assert_num_queries
):
    now = timezone.now()
    for n in range(rows):
        customer(shop, first_name=f"C{n}")
        event(shop, n)
        RequestCount.objects.create(
            shop=shop, resource="customers", minute=now - timedelta(minutes=37 * n), count=n + 1
        )
    client.force_login(cast.teammate)
    client.get(url(shop))
    with django_assert_num_queries(23):  # 22, and the version its figures refresh with
        client.get(url(shop))
