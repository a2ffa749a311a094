"""The overview and the board as their users get them: members only, search and paging, charts
with their text alternatives, a constant number of queries, and a refresh that costs nothing
when nothing changed."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.dashboard.models import StuckThreshold
from portal.dashboard.views import SEEN_HEADER
from portal.mirror import records
from portal.mirror.models import Appointment, Payment, ResourceState, WorkOrder
from portal.shops.models import Membership, Role, Shop
from tests.support import factories

from .conftest import booking_of

pytestmark = pytest.mark.django_db

PAGES = ("dashboard:overview", "dashboard:board")
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, shop) -> str:
    return reverse(name, args=[shop.pk])


def seen_header(tag: str) -> dict:
    return {"HTTP_" + SEEN_HEADER.upper().replace("-", "_"): tag}


# --- Who may see them ---------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("part", [False, True], ids=["page", "live part"])
def test_a_stranger_gets_404_on_every_page_and_part(client, cast, busy_day, name, part):
    client.force_login(cast.stranger)  # the owner of another shop
    response = client.get(url(name, cast.shop), **(HTMX if part else {}))
    assert response.status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_a_teammate_sees_the_pages(client, cast, busy_day, name):
    client.force_login(cast.teammate)  # staff, not owner
    assert client.get(url(name, cast.shop)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, cast, name):
    response = client.get(url(name, cast.shop))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_refresh_after_the_session_ended_takes_the_whole_page_to_sign_in(client, cast, name):
    page = url(name, cast.shop) + "?q=WO"
    response = client.get(
        url(name, cast.shop), **HTMX, HTTP_HX_CURRENT_URL=f"http://testserver{page}"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:login") + "?" + urlencode({"next": page})


def test_a_member_of_several_shops_can_switch_between_them(client, cast, busy_day):
    other = Shop.objects.create(remote_id=93001, name="Second Garage")
    Membership.objects.create(user=cast.owner, shop=other, role=Role.STAFF)
    client.force_login(cast.owner)
    page = client.get(url("dashboard:overview", cast.shop)).content.decode()
    assert "Switch shop" in page
    assert f'href="{url("dashboard:overview", other)}"' in page
    client.force_login(cast.teammate)  # one shop: no switcher
    assert "Switch shop" not in client.get(url("dashboard:overview", cast.shop)).content.decode()


def test_the_shops_list_and_page_lead_to_the_dashboard(client, cast):
    client.force_login(cast.owner)
    link = f'href="{url("dashboard:overview", cast.shop)}"'
    assert link in client.get(reverse("shops:list")).content.decode()
    assert link in client.get(reverse("shops:detail", args=[cast.shop.pk])).content.decode()


# --- The overview -------------------------------------------------------------------------


def test_the_overview_shows_the_day_with_each_figures_definition(client, cast, busy_day):
    booking_of(cast.shop, timezone.now() + timedelta(hours=2))  # not in AutoSync yet
    client.force_login(cast.owner)
    page = client.get(url("dashboard:overview", cast.shop)).content.decode()
    for heading in (
        "Appointments today",
        "Car count today",
        "Open work orders",
        "Revenue",
        "Average repair order",
    ):
        assert f"<h3>{heading}</h3>" in page
    assert page.count("How it is counted") == 5
    assert "Different vehicles with a work order opened today" in page
    assert "$120.00" in page  # today's payment
    assert "Brake pad set" in page  # a part running low
    assert "Not in AutoSync yet" in page and "Booked online" in page


def test_the_charts_are_svg_with_a_name_a_summary_and_a_table(client, cast, busy_day):
    client.force_login(cast.owner)
    page = client.get(url("dashboard:overview", cast.shop)).content.decode()
    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 3
    for number, svg in enumerate(svgs, start=1):
        assert 'role="img"' in svg and "viewBox=" in svg
        assert f'aria-labelledby="chart-{number}-title chart-{number}-desc"' in svg
        assert f'<title id="chart-{number}-title">' in page
    assert page.count("as a table</summary>") == 3
    assert '<th scope="row">Waiting for parts</th><td class="number">1 work order</td>' in page
    assert "<script" not in page.split("<main")[1]  # drawn on the server, no chart library


def test_a_stuck_work_order_is_flagged_on_the_overview_and_the_board(client, cast, busy_day):
    busy_day.statuses.update(seen_at=timezone.now() - timedelta(days=3))
    client.force_login(cast.owner)
    overview = client.get(url("dashboard:overview", cast.shop)).content.decode()
    assert "1 stuck" in overview
    assert "3 days" in overview and "in waiting for parts" in overview
    board = client.get(url("dashboard:board", cast.shop) + "?stuck=1").content.decode()
    assert 'class="is-stuck"' in board and "WO-1001" in board


@pytest.mark.parametrize("name", PAGES)
def test_a_connection_that_needs_reconnecting_is_said_at_the_top(client, cast, busy_day, name):
    cast.connection.set_status("needs_reconnecting")
    cast.connection.save()
    client.force_login(cast.teammate)
    page = client.get(url(name, cast.shop)).content.decode()
    assert "Needs attention:" in page
    assert page.index("Needs attention:") < page.index("</h2>")  # before the first section


# --- The board: search and paging ----------------------------------------------------------


def numbers_on(response) -> list[str]:
    return re.findall(
        r'<th scope="row" data-label="Work order">([^<]*)</th>', response.content.decode()
    )


@pytest.mark.parametrize("search", ["WO-1001", "olive", "corolla", "8xyz", "TOYOTA"], ids=str)
def test_the_board_finds_a_work_order_by_number_customer_vehicle_or_plate(
    client, cast, busy_day, search
):
    factories.work_order(cast.shop, status="draft", number="WO-2002", customer_name="Sid Else")
    client.force_login(cast.owner)
    response = client.get(url("dashboard:board", cast.shop), {"q": search})
    assert numbers_on(response) == ["WO-1001"]


def test_the_board_filters_by_status(client, cast, busy_day):
    factories.work_order(cast.shop, status="draft", number="WO-2002")
    client.force_login(cast.owner)
    response = client.get(url("dashboard:board", cast.shop), {"status": "draft"})
    assert numbers_on(response) == ["WO-2002"]


def test_the_board_pages_through_htmx_with_links_that_work_without_it(client, cast):
    for n in range(30):
        factories.work_order(cast.shop, status="in_progress", number=f"WO-{n:03}", jobs=0)
    client.force_login(cast.owner)
    first = client.get(url("dashboard:board", cast.shop))
    assert len(numbers_on(first)) == 25
    page = first.content.decode()
    link = f'href="{url("dashboard:board", cast.shop)}?page=2"'
    assert link in page and 'hx-push-url="true"' in page and 'hx-target="#board"' in page
    second = client.get(url("dashboard:board", cast.shop), {"page": 2}, **HTMX)
    assert len(numbers_on(second)) == 5
    assert "<html" not in second.content.decode()  # the board alone
    assert second.content.decode().lstrip().startswith('<section id="board"')


# --- Refreshing ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_the_refresh_answers_204_and_304_while_nothing_changed(client, cast, busy_day, name):
    client.force_login(cast.owner)
    first = client.get(url(name, cast.shop), **HTMX)
    assert first.status_code == 200
    tag = first["ETag"].strip('"')
    assert f'"{SEEN_HEADER}": "{tag}"' in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url(name, cast.shop), **HTMX, **seen_header(tag))
    assert again.status_code == 204 and again.content == b""
    assert len(queries) <= 4  # session, user, membership, the version
    revalidated = client.get(url(name, cast.shop), HTTP_IF_NONE_MATCH=f'"{tag}"', **HTMX)
    assert revalidated.status_code == 304


@pytest.mark.parametrize(
    "change",
    [
        lambda shop, order: WorkOrder.objects.filter(pk=order.pk).update(
            status="in_progress", remote_updated_at=timezone.now()
        ),
        lambda shop, order: factories.work_order(shop, status="draft"),
        lambda shop, order: factories.payment(shop, order),
        lambda shop, order: factories.appointment(shop, timezone.now()),
        lambda shop, order: booking_of(shop, timezone.now() + timedelta(hours=3)),
        lambda shop, order: seen(
            shop, "appointments", Appointment.objects.get(shop=shop), status="cancelled"
        ),
        lambda shop, order: seen(
            shop, "payments", Payment.objects.get(shop=shop), status="refunded"
        ),
        lambda shop, order: StuckThreshold.objects.create(shop=shop, status="draft", hours=2),
        lambda shop, order: ResourceState.objects.create(
            shop=shop, resource="payments", last_error="502", last_error_at=timezone.now()
        ),
    ],
    ids=[
        "work order changed",
        "work order",
        "payment",
        "appointment",
        "booking",
        "appointment cancelled",
        "payment refunded",
        "stuck threshold",
        "sync failing",
    ],
)
@pytest.mark.parametrize("name", PAGES)
def test_the_refresh_answers_200_with_the_new_part_once_something_changed(
    client, cast, busy_day, name, change
):
    client.force_login(cast.owner)
    tag = client.get(url(name, cast.shop), **HTMX)["ETag"].strip('"')
    change(cast.shop, busy_day)
    response = client.get(url(name, cast.shop), **HTMX, **seen_header(tag))
    assert response.status_code == 200
    assert response["ETag"].strip('"') != tag
    assert (
        client.get(url(name, cast.shop), HTTP_IF_NONE_MATCH=f'"{tag}"', **HTMX).status_code == 200
    )


def seen(shop, resource: str, record, **changes) -> None:
    """`record` as the sync sees it again now, with `changes` (AutoSync sends appointments and
    payments without an `updated_at`)."""
    item = {
        "id": record.remote_id,
        "customer_id": record.customer_remote_id,
        "status": record.status,
        **changes,
    }
    if resource == "payments":
        item |= {"workorder_id": record.work_order_remote_id, "amount": str(record.amount)}
        item["created_at"] = record.remote_created_at.isoformat()
    else:
        item["start_time"] = record.start_time.isoformat()
    records.apply(resource, shop.pk, [item], timezone.now())


def test_the_page_shows_a_refund_at_once_though_its_live_part_is_kept(client, cast, busy_day):
    client.force_login(cast.owner)
    today = "<dt>Today</dt><dd>$120.00</dd>"
    assert today in client.get(url("dashboard:overview", cast.shop)).content.decode()
    seen(cast.shop, "payments", Payment.objects.get(shop=cast.shop), status="refunded")
    page = client.get(url("dashboard:overview", cast.shop)).content.decode()
    assert today not in page and "<dt>Today</dt><dd>$0.00</dd>" in page


@pytest.mark.parametrize("name", PAGES)
def test_the_live_part_is_computed_once_for_every_member_while_nothing_changed(
    client, cast, busy_day, name
):
    client.force_login(cast.owner)
    with CaptureQueriesContext(connection) as first:
        owners = client.get(url(name, cast.shop)).content.decode()
    client.force_login(cast.teammate)
    with CaptureQueriesContext(connection) as again:
        teammates = client.get(url(name, cast.shop)).content.decode()
    time_in_status = [q for q in again if "mirror_workorderstatus" in q["sql"]]
    assert time_in_status == [] and len(again) < len(first)
    assert live_part(owners) == live_part(teammates)


def live_part(page: str) -> str:
    start = page.index('id="live"' if 'id="live"' in page else 'id="board"')
    return page[start:]


# --- Queries ------------------------------------------------------------------------------


def fill(shop, count: int) -> None:
    """`count` more of everything the pages list."""
    now = timezone.now()
    for n in range(count):
        owner = factories.customer(shop, first_name=f"C{n}")
        car = factories.vehicle(shop, owner)
        status = ("draft", "in_progress", "waiting_parts", "completed", "invoiced")[n % 5]
        order = factories.work_order(
            shop, owner, car, status=status, completed_at=now - timedelta(hours=n), lines_per_job=1
        )
        factories.payment(shop, order, remote_created_at=now - timedelta(days=n % 30))
        factories.appointment(shop, now + timedelta(hours=n), owner=owner, car=car)
        part = factories.part(shop, quantity=0, reorder_threshold=3)
        order.jobs.first().line_items.update(part_remote_id=part.remote_id)
        booking_of(shop, now + timedelta(days=1, minutes=30 * n))
        factories.employee(shop, name=f"Tech {n}")
        order.statuses.update(seen_at=now - timedelta(days=n + 3))  # stuck


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("part", [False, True], ids=["page", "live part"])
def test_a_page_costs_the_same_queries_with_one_row_and_many(
    client, cast, django_assert_num_queries, name, part
):
    client.force_login(cast.owner)
    fill(cast.shop, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url(name, cast.shop), **(HTMX if part else {})).status_code == 200
    fill(cast.shop, 40)
    with django_assert_num_queries(len(one)):
        assert client.get(url(name, cast.shop), **(HTMX if part else {})).status_code == 200
