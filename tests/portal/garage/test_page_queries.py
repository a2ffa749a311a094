"""Every garage page and part costs the same number of queries with one row as with many:
more shops, vehicles, work orders, statuses, inspection reports, payments, appointments,
bookings and change requests (about bookings and phone appointments) for the owner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.booking.models import ChangeRequest
from portal.garage import rendered
from portal.mirror.models import ShopNotice, WorkOrderStatus
from portal.shops.models import Shop
from tests.support import factories
from tests.support.garage import booking, garage_client
from tests.support.portal import connection_with

pytestmark = pytest.mark.django_db

PAGES = {
    "home": lambda s: "/garage/",
    "vehicles": lambda s: "/garage/vehicles/",
    "appointments": lambda s: "/garage/appointments/",
    "booking": lambda s: f"/garage/appointments/booking/{s.tom_main.booking.pk}/",
    "appointment": lambda s: appointment_url(s.tom_main.appointment),
    "work orders": lambda s: "/garage/work-orders/",
    "work order": lambda s: work_order_url(s),
    "poll, changed": lambda s: work_order_url(s) + "status/?v=old",
    "payments": lambda s: "/garage/payments/",
    "payments csv": lambda s: "/garage/payments.csv",
    "receipt": lambda s: f"/garage/payments/{s.main.pk}/{s.tom_main.payment.remote_id}/",
}


def appointment_url(phoned) -> str:
    return f"/garage/appointments/{phoned.shop_id}/{phoned.remote_id}/"


def asked_about(phoned, outcome: str = "declined") -> ChangeRequest:
    """A change request about the phone appointment `phoned`, answered."""
    return ChangeRequest.objects.create(
        shop_id=phoned.shop_id,
        appointment_remote_id=phoned.remote_id,
        email="tom@example.com",
        kind="cancel",
        outcome=outcome,
    )


def work_order_url(scene) -> str:
    order = scene.tom_main.work_order
    return f"/garage/work-orders/{order.shop_id}/{order.remote_id}/"


def add_rows(scene, count: int) -> None:
    """`count` more of everything the owner of two shops has, at new shops and at the main."""
    tom = scene.owners.two_shops
    order = scene.tom_main.work_order
    now = timezone.now()
    for n in range(count):
        shop = Shop.objects.create(
            remote_id=95000 + n, name=f"Garage {n}", connection=connection_with()
        )
        customer = factories.customer(shop, email=tom.email)
        car = factories.vehicle(shop, customer)
        other = factories.work_order(shop, customer, car, jobs=2)
        factories.payment(shop, other)
        ahead = factories.appointment(shop, now + timedelta(days=n + 1), owner=customer, car=car)
        asked_about(ahead, outcome="pending")
        past = factories.appointment(shop, now - timedelta(days=n + 1), owner=customer, car=car)
        asked_about(past)
        made = booking(shop, now + timedelta(days=n + 2), tom.email)
        ChangeRequest.objects.create(booking=made, kind="cancel", outcome="declined")
        factories.vehicle(scene.main, tom.customers[0])
        factories.work_order(scene.main, tom.customers[0], tom.vehicles[0], jobs=3)
        factories.payment(scene.main, order)
        WorkOrderStatus.objects.create(
            work_order=order,
            status="waiting_parts" if n % 2 else "in_progress",
            seen_at=now + timedelta(seconds=n),
        )
        ShopNotice.objects.create(
            shop=scene.main, kind="inspection", remote_id=n, occurred_at=now,
            work_order_remote_id=order.remote_id, payload={"summary": {"green": n}},
        )  # fmt: skip
        ChangeRequest.objects.create(booking=scene.tom_main.booking, kind="change", outcome="done")
        asked_about(scene.tom_main.appointment)


def queries_for(client, url: str) -> int:
    """The queries of a view of `url` that renders it (nothing kept from an earlier view)."""
    rendered.forget()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_garage_page_costs_the_same_queries_for_one_row_and_many(client, scene, page):
    garage_client(client, scene.owners.two_shops.email)
    url = PAGES[page](scene)
    queries_for(client, url)  # the first view of a work order writes `wanted_until`; not repeats
    one = queries_for(client, url)
    add_rows(scene, 12)
    assert queries_for(client, url) == one, one


@pytest.mark.parametrize("page", ["work order", "poll, changed"])
def test_a_repeat_view_of_an_unchanged_work_order_costs_the_session_and_one_query(
    client, scene, page, django_assert_num_queries
):
    garage_client(client, scene.owners.two_shops.email)
    url = PAGES[page](scene)
    add_rows(scene, 12)
    first = client.get(url)
    with django_assert_num_queries(2):  # the session, and the work order with its validator
        again = client.get(url)
    assert shown(again) == shown(first)


def shown(response) -> bytes:
    """The page from <main> on, without its script's nonce: what a kept part must repeat
    (the masked CSRF token in <body> and the nonce are new each time)."""
    return re.sub(rb'nonce="[^"]*"', b"", response.content.split(b"<main")[-1])


def test_an_unchanged_poll_costs_the_session_and_one_query_with_one_row_or_many(
    client, scene, django_assert_num_queries
):
    garage_client(client, scene.owners.two_shops.email)
    add_rows(scene, 12)
    etag = client.get(work_order_url(scene) + "status/")["ETag"]
    version = etag.strip('"')
    with django_assert_num_queries(2):
        assert client.get(work_order_url(scene) + f"status/?v={version}").status_code == 204
    with django_assert_num_queries(2):
        answer = client.get(work_order_url(scene) + "status/", headers={"If-None-Match": etag})
    assert answer.status_code == 304


def poll_pass(client, scene) -> str:
    """The poll pass the work order's page gives this client's session."""
    page = client.get(work_order_url(scene)).content.decode()
    return re.search(r'"X-Poll-Pass": "([^"]+)"', page)[1]


def test_an_unchanged_poll_with_its_pages_pass_costs_one_query_and_reads_no_session(
    client, scene, django_assert_num_queries
):
    garage_client(client, scene.owners.two_shops.email)
    add_rows(scene, 12)
    granted = poll_pass(client, scene)
    version = client.get(work_order_url(scene) + "status/")["ETag"].strip('"')
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(
            work_order_url(scene) + f"status/?v={version}", headers={"X-Poll-Pass": granted}
        )
    assert answer.status_code == 204
    assert len(captured) == 1
    assert "session" not in captured[0]["sql"].lower()
